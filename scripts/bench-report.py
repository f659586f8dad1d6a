#!/usr/bin/env python3
"""Writes docs/benchmarks.md from the runs of scripts/bench-fanout.sh.

    python3 scripts/bench-report.py RESULTS_DIR OUTPUT.md

RESULTS_DIR holds machine.txt and SERVER/SCENARIO/ with meta.json, commands.txt, baseline.snap,
start.snap, end.snap (CPU ticks and RSS read from /proc by the script) and report/summary.json (the
load client's figures: clients_connected, deliveries, deliveries_per_s, latency_ms{p50,p90,p99,p999,max},
gaps, force_sync, errors).
"""
import json
import sys
from pathlib import Path

SERVERS = ["herald", "herald-redis", "socketio", "netty-socketio", "bare"]
SERVER_NAMES = {
    "herald": "Herald",
    "herald-redis": "Herald, 2 instances on Redis",
    "socketio": "Socket.IO (node)",
    "netty-socketio": "netty-socketio",
    "bare": "bare Netty (ceiling)",
}
# A load-client thread this busy, or the whole client this close to every core, means the numbers are the
# client's limit rather than the server's.
THREAD_SATURATED = 0.90
# Keys a load client may use for its own memory-per-connection figure (connections mode, --server-pid).
BYTES_PER_CONN_KEYS = ("bytes_per_connection", "server_bytes_per_connection", "memory_per_connection_bytes")


def read_snap(path):
    snap = {"threads": {}}
    if not path.exists():
        return snap
    for line in path.read_text().splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "client_thread" and len(parts) >= 3:
            snap["threads"][parts[1]] = (int(parts[2]), parts[3] if len(parts) > 3 else "")
        elif len(parts) >= 2:
            try:
                snap[parts[0]] = int(parts[1])
            except ValueError:
                snap[parts[0]] = " ".join(parts[1:])
    return snap


def num(v):
    return v if isinstance(v, (int, float)) and v >= 0 else None


def measure(run_dir, cores):
    meta = json.loads((run_dir / "meta.json").read_text())
    tck = meta["clk_tck"]
    base, start, end = (read_snap(run_dir / f) for f in ("baseline.snap", "start.snap", "end.snap"))
    summary_path = run_dir / "report" / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else None
    m = {"meta": meta, "summary": summary, "commands": (run_dir / "commands.txt").read_text().splitlines()}
    rc = run_dir / "loadtest.rc"
    m["client_rc"] = int(rc.read_text()) if rc.exists() else None

    window = (end.get("time_ns", 0) - start.get("time_ns", 0)) / 1e9
    m["window_s"] = window if window > 0 else None
    s0, s1 = num(start.get("server_ticks")), num(end.get("server_ticks"))
    m["server_cpu_s"] = (s1 - s0) / tck if s0 is not None and s1 is not None else None
    c0, c1 = num(start.get("client_ticks")), num(end.get("client_ticks"))
    m["client_cpu_s"] = (c1 - c0) / tck if c0 is not None and c1 is not None else None
    m["client_cores"] = m["client_cpu_s"] / window if m["client_cpu_s"] is not None and window > 0 else None
    busiest = None
    for tid, (t1, tname) in end["threads"].items():
        if tid in start["threads"] and window > 0:
            share = (t1 - start["threads"][tid][0]) / tck / window
            if busiest is None or share > busiest[0]:
                busiest = (share, tname)
    m["client_busiest_thread"] = busiest
    m["client_bound"] = bool(
        (busiest and busiest[0] >= THREAD_SATURATED)
        or (m["client_cores"] is not None and m["client_cores"] >= THREAD_SATURATED * cores))
    m["server_cores"] = m["server_cpu_s"] / window if m["server_cpu_s"] is not None and window > 0 else None

    rss = num(end.get("server_rss_kb"))
    m["rss_mb"] = rss / 1024 if rss is not None else None
    hwm = num(end.get("server_hwm_kb"))
    m["hwm_mb"] = hwm / 1024 if hwm is not None else None
    m["connections"] = end.get("connections")

    deliveries = summary.get("deliveries") if summary else None
    m["deliveries"] = deliveries
    m["deliveries_per_s"] = summary.get("deliveries_per_s") if summary else None
    # cpu_seconds * 1e6 / deliveries, both over the script's window: the load client counts deliveries over
    # its own duration, so its rate times the window stands for the deliveries inside the window.
    rate = m["deliveries_per_s"]
    if rate and m["server_cores"] is not None:
        m["cpu_us_per_delivery"] = m["server_cores"] * 1e6 / rate
    elif deliveries and m["server_cpu_s"] is not None:
        m["cpu_us_per_delivery"] = m["server_cpu_s"] * 1e6 / deliveries
    else:
        m["cpu_us_per_delivery"] = None
    m["latency"] = (summary or {}).get("latency_ms") or {}

    m["bytes_per_conn"], m["bytes_per_conn_estimated"] = None, False
    for key in BYTES_PER_CONN_KEYS:
        if summary and isinstance(summary.get(key), (int, float)):
            m["bytes_per_conn"] = summary[key]
            break
    base_rss, conns, base_conns = num(base.get("server_rss_kb")), num(end.get("connections")), num(base.get("connections")) or 0
    if m["bytes_per_conn"] is None and rss is not None and base_rss is not None and conns and conns > base_conns:
        m["bytes_per_conn"] = (rss - base_rss) * 1024 / (conns - base_conns)
        m["bytes_per_conn_estimated"] = True
    return m


def fmt(v, digits=1):
    if v is None:
        return "–"
    if isinstance(v, float):
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        return f"{v:.{digits}f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "–"
    return f"{a / b:.2f}×"


def main():
    results, out = Path(sys.argv[1]), Path(sys.argv[2])
    machine = {}
    for line in (results / "machine.txt").read_text().splitlines():
        key, _, value = line.partition(" ")
        machine[key] = value
    cores = int(machine.get("cores", "1"))

    runs = {}
    scenarios = []
    # in the order they ran
    for meta_path in sorted(results.glob("*/*/meta.json"), key=lambda p: p.stat().st_mtime):
        m = measure(meta_path.parent, cores)
        key = (m["meta"]["server"], m["meta"]["scenario"])
        runs[key] = m
        if m["meta"]["scenario"] not in scenarios:
            scenarios.append(m["meta"]["scenario"])
    order = scenarios
    servers = [s for s in SERVERS if any(k[0] == s for k in runs)]

    lines = []
    w = lines.append
    w("# Benchmarks")
    w("")
    w("Fan-out, side by side: Herald against what users would pick instead — the official Socket.IO server "
      "(node), netty-socketio, and a bare Netty WebSocket server with no logic (the ceiling). Written by "
      "`scripts/bench-fanout.sh` from the runs in `" + str(results) + "`.")
    w("")
    w("## Machine")
    w("")
    ram_gib = int(machine.get("ram_kb", "0")) / 1024 / 1024
    w(f"- CPU: {machine.get('cpu', '?')}, {machine.get('cores', '?')} cores available "
      f"({machine.get('threads_per_core', '?')} thread(s) per core)")
    w(f"- RAM: {ram_gib:.1f} GiB; kernel {machine.get('kernel', '?')}")
    w(f"- Java: {machine.get('java', '?')}; Node: {machine.get('node', '?')}")
    w(f"- Run: {machine.get('date', '?')} at commit {machine.get('git', '?')}: `{machine.get('argv', '').strip()}`")
    server_cpus, client_cpus = machine.get("server_cpus"), machine.get("client_cpus")
    if server_cpus and server_cpus != "all":
        w(f"- Server pinned to CPU(s) {server_cpus}, load client to {client_cpus} (taskset); the servers run one at "
          "a time, each started fresh for each scenario.")
    else:
        w("- Server and load client shared this machine's cores (not pinned apart: the figures include their "
          "contention); the servers run one at a time, each started fresh for each scenario.")
    if machine.get("warmup") == "0s":
        w("- No warm-up: the figures include the JIT's cold start.")
    elif machine.get("warmup"):
        w(f"- Warm-up: {machine['warmup']} of publishing before each measured window, left out of the figures.")
    w("")
    w("## Results")
    w("")
    w("Deliveries and latency are the load client's (`summary.json`). Server CPU is utime+stime of the server "
      "process over the measured window (from /proc/PID/stat); CPU per delivery divides it by the deliveries in "
      "that window (the load client's deliveries/s times the window). "
      "RSS is VmRSS at the end of the window. Bytes per connection is the load client's figure where it gives "
      "one, else (~) the growth of the server's RSS from its idle baseline divided by the connections open. "
      "Load-client CPU is in cores over the window, with its busiest thread.")
    w("")
    w("| scenario | server | deliveries/s | server CPU µs/delivery | server CPU (cores) | p50 ms | p99 ms | p99.9 ms "
      "| RSS MB | bytes/conn | load-client CPU | gaps / force_sync / errors |")
    w("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    notes = []
    for scen in order:
        for s in servers:
            m = runs.get((s, scen))
            if not m:
                continue
            meta, sm, lat = m["meta"], m["summary"] or {}, m["latency"]
            desc = f"{scen} ({meta['mode']}, {meta['clients']:,} clients"
            if meta["mode"] == "fanout":
                desc += f", {meta['topics']:,} topics, {meta['rate']:,} ev/s, {meta['payload']} B"
            desc += ")"
            client = "–"
            if m["client_cores"] is not None:
                client = f"{m['client_cores']:.2f}"
                if m["client_busiest_thread"]:
                    client += f" (max thread {m['client_busiest_thread'][0] * 100:.0f}%)"
            if m["client_bound"]:
                client += " †"
                notes.append(f"{SERVER_NAMES[s]} / {scen}: the load client was the bottleneck "
                             f"(a thread at ≥{THREAD_SATURATED:.0%} of a core, or ≥{THREAD_SATURATED:.0%} of all cores); "
                             "the server may do better than shown.")
            if not m["summary"]:
                notes.append(f"{SERVER_NAMES[s]} / {scen}: no summary.json (load client exit code {m['client_rc']}).")
            bpc = fmt(m["bytes_per_conn"], 0)
            if m["bytes_per_conn_estimated"] and bpc != "–":
                bpc = "~" + bpc
            errs = " / ".join(fmt(sm.get(k)) for k in ("gaps", "force_sync", "errors"))
            w(f"| {desc} | {SERVER_NAMES[s]} | {fmt(m['deliveries_per_s'])} | {fmt(m['cpu_us_per_delivery'], 2)} "
              f"| {fmt(m['server_cores'], 2)} | {fmt(lat.get('p50'), 2)} | {fmt(lat.get('p99'), 2)} "
              f"| {fmt(lat.get('p999'), 2)} | {fmt(m['rss_mb'])} | {bpc} | {client} | {errs} |")
    w("")
    if notes:
        for n in notes:
            w(f"- † {n}" if "bottleneck" in n else f"- {n}")
        w("")

    if "herald" in servers and any(s not in ("herald", "herald-redis") for s in servers):
        w("## Herald relative to each peer")
        w("")
        w("Herald's figure divided by the peer's: above 1× means Herald delivers more per second, but also "
          "costs more CPU per delivery, waits longer or holds more memory.")
        w("")
        w("| scenario | vs | deliveries/s | CPU µs/delivery | p99 | RSS | bytes/conn |")
        w("|---|---|---:|---:|---:|---:|---:|")
        for scen in order:
            h = runs.get(("herald", scen))
            if not h:
                continue
            for s in servers:
                p = runs.get((s, scen))
                if s in ("herald", "herald-redis") or not p:
                    continue
                w(f"| {scen} | {SERVER_NAMES[s]} | {ratio(h['deliveries_per_s'], p['deliveries_per_s'])} "
                  f"| {ratio(h['cpu_us_per_delivery'], p['cpu_us_per_delivery'])} "
                  f"| {ratio(h['latency'].get('p99'), p['latency'].get('p99'))} | {ratio(h['rss_mb'], p['rss_mb'])} "
                  f"| {ratio(h['bytes_per_conn'], p['bytes_per_conn'])} |")
        w("")

    if "herald" in servers and "herald-redis" in servers:
        w("## Herald across two instances on Redis, relative to one instance")
        w("")
        w("The same scenario with clients on instance A and every event published over HTTP to instance B, so it "
          "travels B → Redis → A (`herald-redis`), against one instance with the in-process broker (`herald`). "
          "Server CPU is instance A's alone (B and redis-server are not counted).")
        w("")
        w("| scenario | deliveries/s | extra p50 ms | extra p99 ms | p50 ratio | p99 ratio | A's CPU µs/delivery ratio |")
        w("|---|---:|---:|---:|---:|---:|---:|")
        for scen in order:
            h, r = runs.get(("herald", scen)), runs.get(("herald-redis", scen))
            if not h or not r:
                continue
            def diff(k):
                a, b = r["latency"].get(k), h["latency"].get(k)
                return fmt(a - b, 2) if a is not None and b is not None else "–"
            w(f"| {scen} | {fmt(r['deliveries_per_s'])} vs {fmt(h['deliveries_per_s'])} | {diff('p50')} | {diff('p99')} "
              f"| {ratio(r['latency'].get('p50'), h['latency'].get('p50'))} "
              f"| {ratio(r['latency'].get('p99'), h['latency'].get('p99'))} "
              f"| {ratio(r['cpu_us_per_delivery'], h['cpu_us_per_delivery'])} |")
        w("")

    w("## Commands")
    w("")
    w("Exactly as run (`$SECRET` is a random HS256 secret made for the run). The load client is "
      "`loadtest/target/herald-loadtest.jar` unless `LOADTEST_CMD` replaced it.")
    w("")
    w("```")
    w(machine.get("argv", "").strip())
    for scen in order:
        for s in servers:
            m = runs.get((s, scen))
            if m:
                w(f"# {s} / {scen}")
                for c in m["commands"]:
                    w(c)
    w("```")
    w("")
    w("## Method")
    w("")
    w("- Peers: `bench/peers/socketio/server.js` (socket.io, per-message compression off), "
      "`io.herald.bench.peers.NettySocketIoPeer` and `io.herald.bench.peers.BareNettyPeer` in "
      "`bench/target/herald-bench.jar`. Each takes Herald's publish body on `POST /api/v1/publish` (no auth) on "
      "its WebSocket port and delivers to the subscribers of the event's topic.")
    w("- Dialects: Herald is driven as realtime clients (§5), the Socket.IO servers as Socket.IO v5 over "
      "Engine.IO v4 WebSocket, the bare server as raw WebSocket frames of Herald's realtime shape.")
    w("- Window: for fanout and connections, from the moment the server holds every client's connection "
      "(counted with `ss`), for the load client's duration; for chaos, the whole run.")
    w("- Ceiling: the bare server encodes each event once and writes a retained duplicate to every subscriber "
      "with a flush per write; it has no auth, back-pressure, heartbeats or per-loop batching.")
    w("- Microbenchmarks of Herald's own hot path (parse, render, hub fan-out) are in the `bench` module: "
      "`java -jar bench/target/herald-bench.jar -h`.")
    w("")
    out.parent.mkdir(parents=True, exist_ok=True)
    # A hand-written analysis below the marker survives a new run; update it when the numbers move.
    marker = "<!-- analysis: kept by bench-report.py -->"
    kept = ""
    if out.exists() and marker in out.read_text():
        kept = out.read_text().split(marker, 1)[1]
    out.write_text("\n".join(lines) + "\n" + marker + kept)


if __name__ == "__main__":
    main()
