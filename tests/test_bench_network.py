"""bench/network.py and the start-up benches' arguments: the link they emulate, and what they refuse."""
import argparse
import contextlib
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import network  # noqa: E402
import startup  # noqa: E402


def test_a_link_of_50_mbit_moves_6_25_megabytes_a_second_each_way():
    c = network.conditions(50, rtt_ms=30)
    assert c == {"offline": False, "latency": 30, "downloadThroughput": 6.25e6, "uploadThroughput": 6.25e6}


@pytest.mark.parametrize("mbit, rtt", [(0, 20), (-5, 20), (None, 20), (50, -1)])
def test_a_link_that_cannot_exist_is_refused(mbit, rtt):
    with pytest.raises(ValueError):
        network.conditions(mbit, rtt)


def test_no_network_given_leaves_the_page_alone():
    class Untouchable:
        def __getattr__(self, name):
            raise AssertionError(f"the page was touched: {name}")
    network.throttle(Untouchable(), None)


def test_the_results_say_which_link_they_were_measured_on():
    assert network.describe(None, 20) == "127.0.0.1, unthrottled"
    assert network.describe(50, 20) == "50 Mbit/s, 20 ms round trip"


def test_variants_are_chosen_by_name_in_the_order_given():
    assert startup.variant_list("page, floor") == ("page", "floor")
    for text in ("page,flor", "", ","):
        with pytest.raises(argparse.ArgumentTypeError):
            startup.variant_list(text)


def test_a_throttled_run_keeps_its_own_result_file(monkeypatch, tmp_path):
    seen = {}

    def fake_bench(pw, chromium, site, reps, variants, net):
        seen.update(variants=variants, network=net)
        return {"floor": {"cold_median_ms": 2.0, "warm_median_ms": 1.0},
                "page": {"cold_median_ms": 3.0, "warm_median_ms": 1.0},
                "ratio_cold": 1.5, "ratio_warm": 1.0, "py_ratio_cold": None, "py_ratio_warm": None,
                "network": network.describe(*net)}
    monkeypatch.setattr(startup, "bench_startup", fake_bench)
    monkeypatch.setattr(startup, "REPO", tmp_path)
    # No browser: and the end-to-end tests' Playwright may be running in this process already.
    monkeypatch.setattr("playwright.sync_api.sync_playwright", lambda: contextlib.nullcontext(None))
    startup.main(["--no-build", "--site", str(tmp_path), "--network", "50", "--variants", "floor,page"])
    assert seen == {"variants": ("floor", "page"), "network": (50.0, network.DEFAULT_RTT_MS)}
    assert (tmp_path / "bench" / "results" / "startup-50mbit.json").is_file()
    with pytest.raises(SystemExit):
        startup.main(["--no-build", "--site", str(tmp_path), "--network", "0"])
