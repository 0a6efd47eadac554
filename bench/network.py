"""A slower network than 127.0.0.1, for the start-up benches (`--network MBIT`).

From 127.0.0.1 every byte is free, so a bench there weighs only CPU: a design that downloads more to compute
less always wins. Chromium's DevTools network emulation caps a page's throughput and adds a round-trip
time; it covers the page's own requests and its workers', so Pyodide's files are slowed as a visitor's
would be. The cap applies to the bytes sent: the development server compresses nothing, so every file
costs what it weighs on disk (a host that gzips sends `pyodide.asm.wasm` and `.js` files smaller, for
every variant alike).
"""
from __future__ import annotations

import argparse

DEFAULT_RTT_MS = 20  # a round trip on a good broadband or 4G link


def conditions(mbit, rtt_ms=DEFAULT_RTT_MS):
    """Network.emulateNetworkConditions parameters for `mbit` megabits per second each way."""
    if not mbit or mbit <= 0:
        raise ValueError(f"a network needs a positive throughput, not {mbit!r} Mbit/s")
    if rtt_ms < 0:
        raise ValueError(f"a round trip cannot take {rtt_ms} ms")
    bytes_per_second = mbit * 1e6 / 8
    return {"offline": False, "latency": rtt_ms,
            "downloadThroughput": bytes_per_second, "uploadThroughput": bytes_per_second}


def throttle(page, mbit, rtt_ms=DEFAULT_RTT_MS):
    """Slow `page` (and the workers it starts) down to `mbit` Mbit/s; None (no network given) leaves it."""
    if mbit is None:
        return
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")
    session.send("Network.emulateNetworkConditions", conditions(mbit, rtt_ms))


def positive_mbit(text):
    """--network's value: a positive number of Mbit/s, else an argparse error."""
    try:
        mbit = float(text)
    except ValueError:
        mbit = None
    if not mbit or mbit <= 0:
        raise argparse.ArgumentTypeError(f"needs a positive number of Mbit/s, not {text!r}")
    return mbit


def add_arguments(parser):
    parser.add_argument("--network", type=positive_mbit, metavar="MBIT",
                        help="throttle every load to MBIT megabits per second (DevTools network emulation); "
                             "default: 127.0.0.1 at full speed")
    parser.add_argument("--rtt", type=float, default=DEFAULT_RTT_MS, metavar="MS",
                        help=f"with --network, the round-trip time added to each request (default {DEFAULT_RTT_MS})")


def chosen(args):
    """(Mbit/s, round trip ms) that add_arguments' options chose, or (None, None): 127.0.0.1 unthrottled."""
    return (args.network, args.rtt) if args.network is not None else (None, None)


def result_file(results, stem, mbit):
    """Where a bench keeps its results: stem.json, or stem-MBITmbit.json for a throttled run."""
    return results / (f"{stem}.json" if mbit is None else f"{stem}-{mbit:g}mbit.json")


def describe(mbit, rtt_ms):
    return "127.0.0.1, unthrottled" if mbit is None else f"{mbit:g} Mbit/s, {rtt_ms:g} ms round trip"
