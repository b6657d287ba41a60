"""Running untrusted code: the sandbox interface with its own limits and typed reports, the
Docker backend that drives the runner over a container's stdin and stdout, and the warm pool.
It never sees an expected output; what it reports is measured outside the candidate's process.
"""
