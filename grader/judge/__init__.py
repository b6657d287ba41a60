"""What an answer means, decided outside the sandbox: checkers compare a candidate's answer
with the expected output, verdicts combine per test into one, and pass@k tallies samples.
It reads plain data only and never runs untrusted code; any bytes get a verdict.
"""
