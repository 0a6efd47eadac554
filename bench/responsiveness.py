"""How the page and the build keep up while they work: measured and reported, never asserted.

The tests check what cannot depend on the machine's speed: a build with nothing to do runs no step and
writes no file (tests/test_build.py), a digit drawn mid-training is classified while training goes on,
and the charts and the iteration counter move through the run, as the page itself records each update
(tests/e2e/test_training.py). How fast all that is depends on the machine and on what else it runs, so it
is a figure, here:

- the no-op build: `python build.py` when nothing changed, by its own clock and by the wall clock;
- main-thread tasks over 50 ms while the worker trains (the page's `longtask` observer): a task that long
  delays a click or a stroke by as much;
- how often the charts and the iteration counter changed while training, from the page's own record
  (`window.__pynet.shown()`): the charts redraw at most every 250 ms by design (web/js/ui/charts.js).

`measure()` is called by bench/browser.py, whose report and targets include `report()` and `targets()`.
"""
import re
import subprocess
import sys
import time

import numpy as np

from e2e_support import App

TRAINING = {"preset": "tanh-softmax", "iterations": 40, "train_size": 8000}
TARGETS = {"noop_build_s": 1.0, "long_tasks": 0, "chart_gap_ms": 1000}


def measure(browser, url, site, build_script=None):
    """{"build": ..., "training": ...}: the no-op build of `site` (unless `build_script` is None: the site
    is served as it is), then a training watched in the page."""
    return {"build": noop_build(site, build_script) if build_script else None,
            "training": while_training(browser, url)}


def noop_build(site, build_script):
    """`python build.py --out SITE` on a site just built: its own timing, the wall clock, and the steps it
    ran (none if it is incremental)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, str(build_script), "--out", str(site)], capture_output=True,
                          text=True, cwd=build_script.parent)
    wall = time.perf_counter() - started
    reported = re.search(r"is up to date \(([\d.]+) s\)|^built .* in ([\d.]+) s", done.stdout, re.M)
    result = {"reported_s": float(next(filter(None, reported.groups()))) if reported else None, "wall_s": wall,
              "steps_ran": re.findall(r"^  (\w+): done", done.stdout, re.M), "ok": done.returncode == 0}
    print(f"  no-op build: {result['reported_s']} s by its clock, {wall:.2f} s wall, steps run: "
          f"{result['steps_ran'] or 'none'}", flush=True)
    return result


def while_training(browser, url):
    """Train TRAINING in a fresh page; the main thread's long tasks meanwhile, and the updates shown."""
    app = App(browser, url).open()
    try:
        started = app.now()
        app.train(TRAINING["preset"], iterations=TRAINING["iterations"], train_size=TRAINING["train_size"])
        app.wait_status("Done", timeout=600_000)
        ended = app.now()
        shown = app.page.evaluate("window.__pynet.shown()")
        long_tasks = app.long_tasks(since=started)
    finally:
        app.close()
    chart_times = [t for t, points in shown["charts"] if points > 0]
    gaps = np.diff(chart_times) if len(chart_times) > 1 else np.array([])
    result = {**TRAINING, "seconds": (ended - started) / 1000, "long_tasks_ms": long_tasks,
              "longest_task_ms": max(long_tasks, default=0), "chart_updates": len(chart_times),
              "chart_gap_median_ms": float(np.median(gaps)) if len(gaps) else None,
              "chart_gap_max_ms": float(gaps.max()) if len(gaps) else None,
              "iteration_updates": len(shown["iterations"])}
    print(f"  while training: {len(long_tasks)} main-thread tasks over 50 ms (longest "
          f"{result['longest_task_ms']} ms); charts redrawn {result['chart_updates']} times, every "
          f"{fmt(result['chart_gap_median_ms'])} ms (median, longest gap {fmt(result['chart_gap_max_ms'])} ms)",
          flush=True)
    return result


def fmt(value):
    return "-" if value is None else f"{value:,.0f}"


def targets(result):
    """The bench's target rows (see browser.targets) for these figures."""
    if not result:
        return []
    build, training = result["build"], result["training"]
    rows = []
    if build:
        value = build["reported_s"]
        rows.append({"target": f"no-op build under {TARGETS['noop_build_s']:g} s", "value": value,
                     "goal": TARGETS["noop_build_s"], "met": value is not None and value < TARGETS["noop_build_s"],
                     "text": f"{value} s by its clock, {build['wall_s']:.2f} s wall; steps run: "
                             f"{', '.join(build['steps_ran']) or 'none'}"})
    count = len(training["long_tasks_ms"])
    rows.append({"target": "no main-thread task over 50 ms while training", "value": count,
                 "goal": TARGETS["long_tasks"], "met": count <= TARGETS["long_tasks"],
                 "text": f"{count} (longest {training['longest_task_ms']} ms) in {training['seconds']:.1f} s"})
    gap = training["chart_gap_max_ms"]
    rows.append({"target": f"charts redrawn at least every {TARGETS['chart_gap_ms']} ms while training",
                 "value": gap, "goal": TARGETS["chart_gap_ms"], "met": gap is not None and gap <= TARGETS["chart_gap_ms"],
                 "text": f"{training['chart_updates']} redraws, median gap {fmt(training['chart_gap_median_ms'])} ms, "
                         f"longest {fmt(gap)} ms"})
    return rows


def report(result):
    """Markdown lines for bench/results/browser.md."""
    if not result:
        return []
    build, training = result["build"], result["training"]
    lines = ["", "## The page and the build while they work", ""]
    if build:
        lines.append(f"- No-op build (`python build.py` with nothing changed): {build['reported_s']} s by its own "
                     f"clock, {build['wall_s']:.2f} s wall; steps run: {', '.join(build['steps_ran']) or 'none'}.")
    return lines + [
            f"- Training `{training['preset']}`, {training['iterations']} iterations on {training['train_size']:,} "
            f"images ({training['seconds']:.1f} s): {len(training['long_tasks_ms'])} main-thread tasks over 50 ms "
            f"(longest {training['longest_task_ms']} ms); charts redrawn {training['chart_updates']} times "
            f"(median gap {fmt(training['chart_gap_median_ms'])} ms, longest {fmt(training['chart_gap_max_ms'])} ms); "
            f"iteration counter updated {training['iteration_updates']} times."]
