"""The gRPC edge: server wiring, the servicer, authentication, health, and the mapping of
domain errors onto statuses. It converts requests into grading calls and results into
responses, and is the only layer that knows gRPC.
"""
