#!/usr/bin/env python3
"""Prints the figures of bench/run's JSON results with their baselines, ratios and targets."""
import json
import pathlib
import sys


def load(directory):
    results = {}
    for path in sorted(pathlib.Path(directory).glob("*.json")):
        for bench in json.loads(path.read_text()).get("benchmarks", []):
            if bench.get("run_type") == "aggregate":
                # Repeated benchmarks report their median under the plain name.
                if bench.get("aggregate_name") == "median":
                    name = "/".join(p for p in bench["run_name"].split("/") if not p.startswith("repeats:"))
                    results[name] = bench
                continue
            results[bench["name"]] = bench
    return results


def ns(bench):
    """Time per iteration in nanoseconds (CPU time; real time for multi-threaded runs)."""
    unit = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[bench.get("time_unit", "ns")]
    key = "real_time" if "/real_time" in bench["name"] else "cpu_time"
    return bench[key] * unit


def main():
    results = load(sys.argv[1] if len(sys.argv) > 1 else "build/release/bench-results")
    rows = []

    def row(label, value, baseline=None, target=None, ok=None):
        rows.append((label, value, baseline or "", target or "", "" if ok is None else ("met" if ok else "NOT MET")))

    for size in (1000, 100000, 1000000):
        floor = results.get(f"BM_baseline_floor/{size}")
        if not floor:
            continue
        f = ns(floor)
        row(f"floor: unordered_map<string, vector<function>> @{size}", f"{f:.1f} ns", "1.00x")
        for name, label in (("BM_baseline_multiindex", "Boost.MultiIndex hashed composite key"),
                            ("BM_baseline_signals2", "a Signals2 signal per key"),
                            ("BM_baseline_miss", "floor miss (bare hash lookup)")):
            b = results.get(f"{name}/{size}")
            if b:
                row(f"  {label} @{size}", f"{ns(b):.1f} ns", f"{ns(b) / f:.2f}x")
        route = results.get(f"BM_route/{size}")
        if route:
            limit = 0.5 if size == 1000 else 0.25
            ratio = ns(route) / f
            target = f"<= {limit}x" if size in (1000, 1000000) else ""
            row(f"  herald route index, routing only @{size}", f"{ns(route):.1f} ns", f"{ratio:.2f}x",
                target, ratio <= limit if target else None)
        miss = results.get(f"BM_route_miss/{size}")
        if miss and route:
            row(f"  herald route index, miss @{size}", f"{ns(miss):.1f} ns",
                f"{ns(miss) / ns(route):.2f}x of a hit", "no slower than a hit", ns(miss) <= ns(route) * 1.05)

    for name, bench in results.items():
        if name.startswith("BM_trigger/"):
            t = ns(bench)
            extra = {}
            if "secrets:100000/fanout:1/records:1" in name:
                extra = dict(target="<= 1000 ns", ok=t <= 1000)
            size = int(name.split("secrets:")[1].split("/")[0])
            floor = results.get(f"BM_baseline_floor/{size}")
            if "fanout:1/records:0" in name and floor:
                limit = 2.0 if size == 1000 else 0.5
                ratio = t / ns(floor)
                extra = dict(target=f"<= {limit}x floor", ok=ratio <= limit)
                row(f"Engine::trigger {name[len('BM_trigger/'):]}", f"{t:.0f} ns", f"{ratio:.2f}x floor",
                    **extra)
            else:
                row(f"Engine::trigger {name[len('BM_trigger/'):]}", f"{t:.0f} ns", **extra)
            if "fanout:1/" in name and "allocations_per_trigger" in bench:
                a = bench["allocations_per_trigger"]
                row(f"  allocations per matched trigger, {name[len('BM_trigger/'):]}", f"{a:.2f}",
                    target="<= 2", ok=a <= 2)
        elif name.startswith(("BM_trigger_miss/", "BM_trigger_smn/")):
            row(f"Engine::{name[3:]}", f"{ns(bench):.0f} ns")
    for records in (1, 0):
        one = results.get(f"BM_trigger_threads/records:{records}/real_time/threads:1")
        two = results.get(f"BM_trigger_threads/records:{records}/real_time/threads:2")
        if one and two:
            scale = two["items_per_second"] / one["items_per_second"]
            label = "with records" if records else "records off"
            row(f"trigger {label}, 1 thread + writer", f"{one['items_per_second'] / 1e6:.2f} M/s")
            row(f"trigger {label}, 2 threads + writer", f"{two['items_per_second'] / 1e6:.2f} M/s",
                f"{scale:.2f}x of 1 thread", ">= 1.6x", scale >= 1.6)

    for name, bench in results.items():
        if name.startswith(("BM_create", "BM_update", "BM_subscribe", "BM_show", "BM_list")):
            row(name[3:], f"{ns(bench):.0f} ns")
    per_event = results.get("BM_memory_per_event/1000000/iterations:1")
    if per_event:
        v = per_event["bytes_per_event"]
        row("memory per event @1e6", f"{v:.0f} B", target="<= 256 B", ok=v <= 256)
    per_route = results.get("BM_memory_per_route/1000000/iterations:1")
    if per_route:
        v = per_route["bytes_per_route"]
        row("memory per (secret, type) route @1e6", f"{v:.0f} B",
            f"{per_route['bytes_per_secret']:.0f} B per secret", "<= 100 B", v <= 100)
    for name, label in (("BM_http_get_event", "HTTP GET event"),
                        ("BM_http_post_lifecycle_event", "HTTP POST lifecycle event")):
        bench = next((b for n, b in results.items() if n.startswith(name)), None)
        if bench:
            rps, p99 = bench["requests_per_second"], bench["p99_us"]
            target = dict(target=">= 20k req/s, p99 < 5 ms", ok=rps >= 20000 and p99 < 5000) if "GET" in label else {}
            row(label, f"{rps / 1000:.1f} k req/s", f"p50 {bench['p50_us']:.0f} us, p99 {p99:.0f} us", **target)

    base = results.get("BM_durable_trigger/store:0/per_trigger:0/async:0/real_time")
    sync = results.get("BM_durable_trigger/store:1/per_trigger:0/async:0/real_time")
    for key, per_trigger, label in (("per_trigger:0/async:0", 0, "batched, synchronous delivery"),
                                    ("per_trigger:0/async:1", 0, "batched, asynchronous delivery"),
                                    ("per_trigger:1/async:0", 1, "per-trigger fsync")):
        bench = results.get(f"BM_durable_trigger/store:1/{key}/real_time")
        if bench:
            rate = bench["items_per_second"]
            extra = dict(target=">= 20k/s", ok=rate >= 20000) if key == "per_trigger:0/async:0" else {}
            ratio = f"{base['items_per_second'] / rate:.0f}x slower than without a store" if base else ""
            if key == "per_trigger:0/async:1" and sync:
                of_sync = rate / sync["items_per_second"]
                ratio = f"{of_sync:.2f}x of synchronous"
                extra = dict(target=">= 20k/s and >= 0.8x", ok=rate >= 20000 and of_sync >= 0.8)
            row(f"durable trigger, SQLite {label}", f"{rate / 1000:.1f} k/s", ratio, **extra)
    stretches = next((b for n, b in results.items() if n.startswith("BM_durable_stretches")), None)
    if stretches:
        r = stretches["slowest_over_average"]
        row("durable async, 200 ms retention: slowest 1000-trigger stretch",
            f"{stretches['slowest_stretch_per_second'] / 1000:.1f} k/s",
            f"{r:.2f}x of the average {stretches['average_per_second'] / 1000:.1f} k/s", ">= 0.5x", r >= 0.5)

    for threads in (1, 2):
        bench = results.get(f"BM_durable_trigger_threads/real_time/threads:{threads}")
        if bench:
            rate = bench["items_per_second"]
            row(f"durable trigger, batched, synchronous, {threads} thread(s) sharing commits",
                f"{rate / 1000:.1f} k/s")

    lister_off = results.get("BM_trigger_while_listing/lister:0/iterations:200000/real_time")
    for mode, label in ((1, "another project"), (2, "the same project")):
        bench = results.get(f"BM_trigger_while_listing/lister:{mode}/iterations:200000/real_time")
        if bench and lister_off:
            row(f"trigger p99 while {label} lists 100k records", f"{bench['p99_us']:.1f} us",
                f"{lister_off['p99_us']:.1f} us with no lister (p50 {bench['p50_us']:.1f} us)")

    for name, label in (("BM_soak_sqlite", "on a SQLite store"), ("BM_soak_memory", "without a store"),
                        ("BM_soak_memory_store", "on the memory store")):
        bench = results.get(f"{name}/iterations:1/real_time")
        if bench:
            growth = bench["growth_mb_after_100k"]
            row(f"1M triggers {label}: RSS growth after 100k", f"{growth:.1f} MB",
                f"{bench['rss_mb_at_100k']:.0f} MB at 100k", "<= 16 MB", growth <= 16)
            ratio = bench["last_over_first"]
            row(f"1M triggers {label}: last tenth / first tenth", f"{ratio:.2f}x",
                f"{bench['first_tenth_per_s'] / 1000:.1f} k/s first",
                ">= 0.8x" if name == "BM_soak_memory_store" else "",
                ratio >= 0.8 if name == "BM_soak_memory_store" else None)
    http_soak = next((b for n, b in results.items() if n.startswith("BM_http_store_soak")), None)
    if http_soak:
        growth = http_soak["server_rss_growth_mb"]
        row("herald-server --store, 300k pipelined triggers: RSS growth after 50k", f"{growth:.2f} MB",
            f"{http_soak['server_rss_mb_at_50k']:.1f} MB at 50k, {http_soak['triggers_per_s'] / 1000:.1f} k/s",
            "flat", growth <= 16)
    restart = results.get("BM_restart_with_a_million_records/iterations:1/real_time")
    if restart:
        row("restart on 1M stored records", f"{restart['start_s']:.2f} s", target="< 2 s",
            ok=restart["start_s"] < 2)
        row("newest page after that restart", f"{restart['newest_page_s'] * 1000:.1f} ms",
            f"{restart['records_listed']:.0f} records", "< 50 ms", restart["newest_page_s"] < 0.05)

    sqlite = next((b for n, b in results.items() if n.startswith("BM_durable_triggers_sqlite_baseline")), None)
    for processes in (1, 3):
        pg = next((b for n, b in results.items()
                   if n.startswith(f"BM_durable_triggers_postgresql/processes:{processes}/")), None)
        if pg:
            rate = pg["acknowledged_per_second"]
            ratio = f"{rate / sqlite['acknowledged_per_second']:.2f}x of SQLite's one process" if sqlite else ""
            row(f"durable triggers over HTTP, PostgreSQL, {processes} process(es)", f"{rate:.0f} /s", ratio)
    own = next((b for n, b in results.items() if n.startswith("BM_change_seen_by_its_own_process_baseline")), None)
    other = next((b for n, b in results.items() if n.startswith("BM_change_seen_by_another_process")), None)
    if other:
        base = f"own process p50 {own['p50_ms']:.1f} ms, p99 {own['p99_ms']:.1f} ms" if own else ""
        row("a change served by another process, p50", f"{other['p50_ms']:.1f} ms", base, "< 1000 ms",
            other["p99_ms"] < 1000)
        row("a change served by another process, p99", f"{other['p99_ms']:.1f} ms", "", "< 1000 ms",
            other["p99_ms"] < 1000)

    width = [max(len(str(r[i])) for r in rows + [("figure", "value", "baseline / ratio", "target", "")]) for i in range(5)]
    header = ("figure", "value", "baseline / ratio", "target", "")
    print("  ".join(str(h).ljust(w) for h, w in zip(header, width)))
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, width)))


if __name__ == "__main__":
    main()
