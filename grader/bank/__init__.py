"""The question bank: the domain model, one reader per source format, the build that turns
source files into a bank, and the SQLite store the server reads one test at a time.
Private tests live here and leave only towards the judge.
"""
