#!/usr/bin/env python3
"""Helpers for tests/bench/run-bench: statistics, log parsing, /metrics scraping, the table.

  stats.py session-time LOG OFFSET APP DATABASE   seconds of the matching sessions that ended
                                                  after byte OFFSET of the server log (summed)
  stats.py daemon-passes LOG OFFSET DATABASE      seconds of each pass of `partitiond run` after
                                                  OFFSET, from its statements' logged durations
  stats.py psql-times FILE                        seconds of each `Time:` line of psql's \timing
  stats.py pgbench LOGFILE... [--window FROM TO]  insert latency figures from pgbench -l logs
  stats.py scrape URL COUNT [ENCODING]            latency of COUNT scrapes, one connection each
  stats.py table RESULTS                          the Markdown table from the results file

The results file holds one `key<TAB>value` per line; repeated keys are repeated measurements.
"""
import datetime
import gzip
import http.client
import re
import statistics
import sys
import time
import urllib.parse


def percentile(values, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil without floats
    return ordered[int(rank) - 1]


def session_time(log, offset, app, database):
    pattern = re.compile(
        r"app=(\S*) .*disconnection: session time: (\d+):(\d+):([\d.]+) .*database=(\S+)")
    total, found = 0.0, 0
    with open(log, "rb") as f:
        f.seek(int(offset))
        for raw in f:
            m = pattern.search(raw.decode("utf-8", "replace"))
            if m and m.group(1) == app and m.group(5) == database:
                total += int(m.group(2)) * 3600 + int(m.group(3)) * 60 + float(m.group(4))
                found += 1
    if not found:
        sys.exit(f"no session of {app} on {database} in {log} after byte {offset}")
    print(f"{total:.3f}")


def daemon_passes(log, offset, database):
    """Each pass starts with the leadership query; it lasts until its last statement ends."""
    line_re = re.compile(r"^(\S+ \S+) \S+ \[\d+\] app=partitiond db=(\S+) LOG:  duration: "
                         r"([\d.]+) ms  \w+[^:]*: (.*)")
    passes = []
    with open(log, "rb") as f:
        f.seek(int(offset))
        for raw in f:
            m = line_re.match(raw.decode("utf-8", "replace"))
            if not m or m.group(2) != database:
                continue
            end = datetime.datetime.fromisoformat(m.group(1)).timestamp()
            start = end - float(m.group(3)) / 1000.0
            if m.group(4).startswith("SELECT standby, CASE"):
                passes.append([start, end])
            elif passes:
                passes[-1][1] = end
    print(" ".join(f"{end - start:.3f}" for start, end in passes))


def psql_times(name):
    with open(name) as f:
        times = [float(m.group(1)) / 1000.0
                 for m in re.finditer(r"^Time: ([\d.]+) ms", f.read(), re.M)]
    print(" ".join(f"{t:.3f}" for t in times))


def pgbench(args):
    """pgbench -l lines: client tx latency_us script epoch_s epoch_us [lag_us].

    The insert's own latency is latency_us - lag_us (with --rate pgbench counts from the
    scheduled start); the end-to-end figure keeps the lag (time waiting for a free client).
    Only transactions scheduled inside --window FROM TO (epoch seconds) count, if given.
    """
    window = None
    if "--window" in args:
        i = args.index("--window")
        window = (float(args[i + 1]), float(args[i + 2]))
        args = args[:i] + args[i + 3:]
    own, end_to_end = [], []
    for name in args:
        with open(name) as f:
            for line in f:
                fields = line.split()
                if len(fields) < 6 or fields[2] == "skipped":
                    continue
                latency = int(fields[2])
                lag = int(fields[6]) if len(fields) > 6 else 0
                finished = int(fields[4]) + int(fields[5]) / 1e6
                scheduled = finished - latency / 1e6
                if window and not window[0] <= scheduled <= window[1]:
                    continue
                own.append((latency - lag) / 1000.0)
                end_to_end.append(latency / 1000.0)
    if not own:
        sys.exit("no pgbench transactions in the window")
    print(f"n={len(own)} p50={percentile(own, 50):.2f} p99={percentile(own, 99):.2f} "
          f"max={max(own):.1f} e2e_p99={percentile(end_to_end, 99):.1f} "
          f"e2e_max={max(end_to_end):.1f} over250={sum(1 for v in own if v > 250)}")


def scrape(url, count, encoding="identity"):
    """COUNT GETs of URL, a new connection each (as Prometheus does after a scrape interval)."""
    parsed = urllib.parse.urlsplit(url)
    latencies, size, body, zipped = [], 0, b"", False
    for _ in range(int(count)):
        start = time.perf_counter()
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
        conn.request("GET", parsed.path, headers={"Accept-Encoding": encoding})
        response = conn.getresponse()
        body = response.read()
        conn.close()
        latencies.append((time.perf_counter() - start) * 1000.0)
        if response.status != 200:
            sys.exit(f"scrape returned HTTP {response.status}")
        size = len(body)
        zipped = response.getheader("Content-Encoding") == "gzip"
    # Decompressed once, after the loop: decompressing 1 MB after every scrape costs the client
    # milliseconds of CPU, and on a loaded machine the scheduler then wakes it later on the next
    # scrape, which showed up as scrape latency.
    if zipped:
        body = gzip.decompress(body)
    series = sum(1 for line in body.decode().splitlines() if line and not line.startswith("#"))
    print(f"n={len(latencies)} p50={percentile(latencies, 50):.2f} "
          f"p99={percentile(latencies, 99):.2f} max={max(latencies):.2f} bytes={size} "
          f"series={series}")


def load(results):
    values = {}
    with open(results) as f:
        for line in f:
            if "\t" in line:
                key, value = line.rstrip("\n").split("\t", 1)
                values.setdefault(key, []).append(value)
    return values


def field(text, name, default="?"):
    m = re.search(r"\b" + name + r"=(\S+)", text or "")
    return m.group(1) if m else default


def verdict(met):
    return "**met**" if met else "**missed**"


def table(results):
    r = load(results)

    def one(key, default="?"):
        return r.get(key, [default])[-1]

    def med(key):
        vals = [float(v) for v in r.get(key, [])]
        return statistics.median(vals) if vals else None

    def secs(v):
        if v is None:
            return "?"
        return f"{v * 1000:.0f} ms" if v < 10 else f"{v:.1f} s"

    def ratio(a, b, digits=1):
        return f"{a / b:.{digits}f}×" if a is not None and b else "?"

    out = [f"{one('version')}; medians of {one('runs')} runs unless a row says otherwise. "
           f"Machine: {one('machine')}, {one('machine.end', '')}.", "",
           "| Scenario | partitiond | pg_partman 4.7 | Floor: bare DDL from psql | Ratio "
           "| Target |",
           "|---|---|---|---|---|---|"]
    row = lambda *cells: out.append("| " + " | ".join(cells) + " |")  # noqa: E731

    for n in one("steady.sizes", "").split():
        cold = (med(f"steady.{n}.partitiond.pass"), med(f"steady.{n}.partman.cold"))
        warm = (med(f"steady.{n}.partitiond.warm"), med(f"steady.{n}.partman.warm"))
        target = warm_target = ""
        if n == "1000":
            target = "≥ 20×: " + verdict(None not in cold and cold[1] / cold[0] >= 20)
            warm_target = "≥ 20×: " + verdict(None not in warm and warm[1] / warm[0] >= 20)
        what = (f"Steady-state pass, nothing to do, {int(n):,} parents × "
                f"{one('steady.partitions')} monthly partitions ({one(f'steady.{n}.runs')} runs)")
        row(f"{what}: new connection (`partitiond once`; `run_maintenance()` in a new session)",
            f"{secs(cold[0])} (wall {secs(med(f'steady.{n}.partitiond.wall'))})",
            secs(cold[1]), "–", f"pg_partman / partitiond: {ratio(cold[1], cold[0])}", target)
        row(f"{what}: long-lived connection (a pass of `partitiond run`; `run_maintenance()` "
            "again in the same session)", secs(warm[0]), secs(warm[1]), "–",
            ratio(warm[1], warm[0]), warm_target)

    for n in one("catchup.sizes", "").split():
        pd, pm = med(f"catchup.{n}.partitiond.pass"), med(f"catchup.{n}.partman.pass")
        fa, fb = med(f"catchup.{n}.floor_partitiond.pass"), med(f"catchup.{n}.floor_drop.pass")
        row(f"Catch-up: drop 11 expired monthly partitions per parent, {int(n):,} parents "
            f"({int(n) * 11:,} drops; {one(f'catchup.{n}.runs')} runs)", secs(pd), secs(pm),
            f"partitiond's DDL (COMMENT, DETACH CONCURRENTLY, DROP): {secs(fa)}; "
            f"pg_partman's (DROP TABLE): {secs(fb)}",
            f"partitiond / its floor: {ratio(pd, fa, 2)}; pg_partman / its floor: "
            f"{ratio(pm, fb, 2)}",
            "≤ 1.25× floor: " + verdict(pd is not None and fa and pd / fa <= 1.25))

    w = {k: one(f"writer.{k}", "") for k in ("none", "partitiond", "partman")}
    if any(w.values()):
        limit = float(one("writer.limit_ms", "250"))

        def lat(text):
            return (f"p50 {field(text, 'p50')} / p99 {field(text, 'p99')} / max "
                    f"{field(text, 'max')} ms")

        def e2e(text):
            return (f"p99 {field(text, 'e2e_p99')} / max {field(text, 'e2e_max')} ms; "
                    f"{field(text, 'over250')} over {limit:.0f} ms")

        pd_max, pm_max = float(field(w["partitiond"], "max", "nan")), float(
            field(w["partman"], "max", "nan"))
        row(f"Writer impact: {one('writer.desc')}. Insert latency, the statement itself",
            lat(w["partitiond"]), lat(w["partman"]), "no maintenance: " + lat(w["none"]),
            f"max: pg_partman / partitiond {ratio(pm_max, pd_max, 0)}",
            f"max ≤ lock_timeout + 50 ms = {limit:.0f} ms: " + verdict(pd_max <= limit))
        row("Writer impact: end to end, including waiting for a free client at the fixed rate",
            e2e(w["partitiond"]), e2e(w["partman"]), "no maintenance: " + e2e(w["none"]), "–",
            "")
        row("Writer impact: the maintenance pass", one("writer.partitiond.outcome"),
            one("writer.partman.outcome"), "–", "–", "")

    s, z = one("scrape", ""), one("scrape.gzip", "")
    if s:
        p99 = float(field(s, "p99", "nan"))
        row(f"`/metrics` scrape latency, {int(one('scrape.parents')):,} parents "
            f"({field(s, 'series')} series), a new connection each: {field(s, 'n')} plain "
            f"({int(field(s, 'bytes', '0')):,} bytes); {field(z, 'n')} with gzip as Prometheus "
            f"asks ({int(field(z, 'bytes', '0')):,} bytes)",
            f"plain: p50 {field(s, 'p50')} / p99 {p99} / max {field(s, 'max')} ms; gzip: p50 "
            f"{field(z, 'p50')} / p99 {field(z, 'p99')} / max {field(z, 'max')} ms",
            "n/a: no metrics", "–", "–", "p99 < 10 ms: " + verdict(p99 < 10))
    f = one("footprint", "")
    if f:
        rss = float(field(f, "rss_mib", "nan"))
        row(f"Daemon footprint, idle after its first pass, {int(one('scrape.parents')):,} "
            "parents", f"VmRSS {rss} MiB ({field(f, 'rss_after_scrapes_mib')} MiB after the "
            f"scrapes); {field(f, 'ticks')} CPU ticks in {field(f, 'idle_s')} s",
            "n/a: runs inside PostgreSQL", "–", "–", "RSS < 30 MiB: " + verdict(rss < 30))
    row("Archive throughput vs `psql \\copy \\| zstd`",
        "`tests/bench/archive-throughput` (README \"Archiving\")", "–", "–", "–", "")
    print("\n".join(out))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "session-time":
        session_time(*args)
    elif cmd == "daemon-passes":
        daemon_passes(*args)
    elif cmd == "psql-times":
        psql_times(*args)
    elif cmd == "pgbench":
        pgbench(args)
    elif cmd == "scrape":
        scrape(*args)
    elif cmd == "table":
        table(*args)
    elif cmd == "percentile":
        print(percentile([float(v) for v in args[1:]], float(args[0])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
