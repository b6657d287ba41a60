"""What the tests share: fakes of the sandbox, a real server in the Docker engine, the attack
suite's bank and attacks, hand-made runs, waits with deadlines. Test modules and conftest.py files
import from here, never from one another."""
