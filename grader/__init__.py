"""grader: a sandboxed code-execution grading service for LLM coding benchmarks, over gRPC.
A request flows api -> grading -> bank (the question), sandbox (run it), judge (the verdict);
the runner package is what runs inside the sandbox container.
"""
