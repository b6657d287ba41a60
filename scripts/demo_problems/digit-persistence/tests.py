"""The test inputs of digit-persistence, from a seeded RNG where they are large."""

from __future__ import annotations

from testdata import seeded

rng = seeded(1414)
PUBLIC = [(39,), (7,)]
PRIVATE = [
    (0,),
    (10,),
    (25,),
    (999,),
    (277777788888899,),
    (10**18,),
    (999999999999999999,),
    (rng.randint(10**17, 10**18),),
]
