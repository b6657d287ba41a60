"""The load test's short CI variant: `grader serve` (its own process, real Docker engine) driven at
10x its capacity for 20 s by bench/load.py's driver, with the same invariants."""

from __future__ import annotations

from bench.load import LoadSettings, print_report, run_load
from tests.support.server import require_docker


class TestLoadAtTenTimesCapacity:
    """Overload is refused with a hint or queued, never lost, hung or misjudged, and shutdown is clean."""

    def test_every_call_answered_and_nothing_left(self) -> None:
        require_docker()
        settings = LoadSettings(duration_s=20.0, pool_size=2, deadline_s=120.0)
        report = run_load(settings)
        print_report(report)
        assert report.settings.client_count == 20
        assert report.violations() == []
        t = report.tally
        # 20 clients on 2 sandboxes and 4 queue places: overload was refused, and work was done.
        assert t.rejected > 0
        assert t.grade_ok > 0
        assert t.batch_calls > 0 and t.batch_items_ok > 0
        assert report.containers_left == 0
        assert report.rss_peak_kb >= report.rss_start_kb > 0
