"""What runs inside the sandbox container: the root supervisor, the zygotes that fork one
worker per test, the message protocol with the host, and the tagged-value codec.
Standard library only: it is copied into the sandbox image and imports nothing of grader.
"""
