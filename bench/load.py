"""Load on the HTTP API → bench/results/load.json.

The app runs as served, on a fresh SQLite store and the shipped KB, in two topologies (``--topology``):
``deployed``, as ``deploy/`` runs it — one-process replicas behind Caddy with ``deploy/Caddyfile``'s
balancing policy (needs ``caddy`` on PATH; the headline) — and ``workers``, one ``hra serve`` whose
worker processes share its socket (under ``as_workers``). The load comes from this process: an
asyncio client (httpx, keep-alive), one coroutine per simulated user, loopback only, on the same 2
cores as the servers and the proxy. Phases:

- ``idle``: one user drafting alone (the reference for the stall);
- ``drafts_only``: 16 users drafting distinct dev questions back to back;
- ``mixed``: 8 users drafting, 6 posting panel events on their own drafts, 2 leads reading the
  dashboard's week and the aggregates;
- ``stall``: 4 users sending worst-case 8,000-character questions (emoji, combining marks, Arabic,
  French) back to back while 1 user drafts ordinary questions: its p95 against ``idle``'s.
- ``paced`` (last): the same 16 users, open loop: together they send 40 drafts a second at random (Poisson)
  times, whether or not earlier ones are answered, each timed from when it was due. The closed
  phases measure capacity (no think time: 16 users always waiting, so their p95 cannot be below
  16 / throughput); this one measures the latency agents get when 40 drafts a second arrive;

A prober calls /health 5 times a second through every phase. Users send requests as fast as the
server answers (no think time), so the per-credential rate limit (10/s, a person's pace several
times over) is turned off here; its own tests cover it.
Targets (issue 16): ≥ 40 drafts/s with p95 ≤ 300 ms at 16 users, drafts only and mixed; stall:
ordinary p95 during the worst-case questions ≤ 3x its idle p95.

``--label before`` runs the same phases against whatever code is checked out (e.g. a worktree of an
older commit: ``python -m bench.load --label before --out /tmp/before.json``) and ``--merge``
folds such a file into the committed result as the "before" figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench.common import machine, percentiles_ms, write_result

QUESTIONS = Path(__file__).resolve().parent.parent / "eval" / "datasets" / "questions-dev.jsonl"
USERS, DRAFTERS_MIXED, EVENTERS_MIXED, READERS_MIXED = 16, 8, 6, 2
PACED_RATE = 40  # drafts a second offered by the 16 users together in the ``paced`` phase
WORST = [
    "😀" * 8000,
    "e\u0301" * 4000,
    "ٱلسلام " * 1142,
    ("Mon employeur refuse mes congés payés. " * 300)[:8000],
]


def tokens(n: int) -> list[str]:
    return [f"bench-agent-{i:02d}-0123456789abcdef0123" for i in range(n)]


LEAD = "bench-lead-0123456789abcdef0123456789"


# --------------------------------------------------------------------------- the server process
def server_env(work: Path, port: int, workers: int) -> dict[str, str]:
    """``hra serve`` as deployed, configured by its environment."""
    return {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "HF_HUB_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "HRA_ENV": "test",
        "HRA_SERVER__PORT": str(port),
        "HRA_DATABASE_URL": f"sqlite:///{work}/hra.sqlite",
        "HRA_KB__INDEX_DIR": str(work / "kb"),
        "HRA_AUTH__TOKENS": json.dumps({"agent": tokens(USERS + len(WORST) + 1), "lead": [LEAD]}),
        "HRA_FEEDBACK__PSEUDONYM_KEY_FILE": str(work / "p.key"),
        "HRA_FEEDBACK__AUDIT_KEY_FILE": str(work / "a.key"),
        "HRA_LIMITS__PER_TOKEN_PER_S": "0",
        # Only when asked: code from before the setting existed refuses an unknown server field.
        **({"HRA_SERVER__WORKERS": str(workers)} if workers != 1 else {}),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --------------------------------------------------------------------------- the load
@dataclass
class Tally:
    seconds: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)

    def add(self, status: int, elapsed: float) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if 200 <= status < 300:
            self.seconds.append(elapsed)

    def summary(self, duration: float) -> dict[str, Any]:
        ok = len(self.seconds)
        return {
            "per_s": round(ok / duration, 1),
            **{f"{k}_ms": v for k, v in percentiles_ms(self.seconds).items() if k != "n"},
            "ok": ok,
            "errors": {str(k): v for k, v in sorted(self.statuses.items()) if not 200 <= k < 300},
            **({"transport_errors": self.failures} if self.failures else {}),
        }


def server_cpu_s(pids: list[int]) -> float:
    """CPU seconds used so far by the server processes and their workers (user + system)."""
    total = 0.0
    for pid in pids:
        root = psutil.Process(pid)
        for proc in [root, *root.children(recursive=True)]:
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
    return total


class Load:
    def __init__(
        self, base: str, questions: list[str], seed: int = 7, server_pids: list[int] | None = None
    ) -> None:
        self.server_pids = server_pids or []
        self.base = base
        self.questions = questions
        self.rng = random.Random(seed)
        self.next_q = 0
        self.own_drafts: dict[str, list[str]] = {}

    def question(self) -> str:
        self.next_q += 1
        return self.questions[self.next_q % len(self.questions)]

    async def timed(self, tally: Tally, request: Any, due: float | None = None) -> httpx.Response | None:
        """``request``: the client call's coroutine, not yet started (it starts when awaited);
        ``due``: when it should have been sent (open loop), timed from then instead of from now."""
        start = time.perf_counter() if due is None else due
        try:
            res: httpx.Response = await request
        except httpx.HTTPError as exc:  # no HTTP answer at all: counted as 599, named
            tally.add(599, time.perf_counter() - start)
            tally.failures[type(exc).__name__] = tally.failures.get(type(exc).__name__, 0) + 1
            return None
        tally.add(res.status_code, time.perf_counter() - start)
        return res

    async def drafter(
        self, http: httpx.AsyncClient, token: str, until: float, tally: Tally, worst: str = ""
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        while time.perf_counter() < until:
            body = {"question": worst or self.question()}
            res = await self.timed(tally, http.post("/api/v1/drafts", json=body, headers=headers))
            if res is not None and res.status_code == 201:
                self.own_drafts.setdefault(token, []).append(res.json()["draft_id"])
            elif res is not None and res.status_code in (429, 503):
                await asyncio.sleep(float(res.headers.get("Retry-After", "1")))

    async def paced_drafter(
        self, http: httpx.AsyncClient, token: str, until: float, tally: Tally, rate: float
    ) -> None:
        """Open loop: drafts sent at random times (Poisson, ``rate`` a second) whether or not the
        previous ones are answered, each timed from when it was due — a slow answer does not delay
        the next question, as with agents who don't wait for each other."""
        pending: list[asyncio.Task[Any]] = []
        headers = {"Authorization": f"Bearer {token}"}
        due = time.perf_counter() + self.rng.expovariate(rate)
        while due < until:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            request = http.post("/api/v1/drafts", json={"question": self.question()}, headers=headers)
            pending.append(asyncio.create_task(self.timed(tally, request, due)))
            due += self.rng.expovariate(rate)
        await asyncio.gather(*pending)

    async def eventer(self, http: httpx.AsyncClient, token: str, until: float, tally: Tally) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        drafts = self.own_drafts.get(token) or []
        while time.perf_counter() < until and drafts:
            draft_id = self.rng.choice(drafts)
            kind = self.rng.choice(["shown", "edit_started", "sources_opened", "sent"])
            body: dict[str, Any] = {"event_id": str(uuid.uuid4()), "draft_id": draft_id, "type": kind}
            if kind == "sent":
                body["final_text"] = (
                    "Bonjour,\n\nVous avez droit à 2,5 jours de congés par mois.\n\nCordialement,"
                )
            if kind == "sources_opened":
                body["duration_ms"] = 1500
            await self.timed(tally, http.post("/api/v1/feedback/events", json=body, headers=headers))

    async def reader(self, http: httpx.AsyncClient, until: float, tally: Tally) -> None:
        headers = {"Authorization": f"Bearer {LEAD}"}
        paths = ["/api/v1/dashboard/week", "/api/v1/audit/stats"]
        n = 0
        while time.perf_counter() < until:
            path = paths[n % 2]
            n += 1
            await self.timed(tally, http.get(path, headers=headers))

    async def prober(self, http: httpx.AsyncClient, until: float, tally: Tally) -> None:
        while time.perf_counter() < until:
            await self.timed(tally, http.get("/api/v1/health"))
            await asyncio.sleep(0.2)

    async def phase(self, name: str, seconds: float, users: dict[str, int]) -> dict[str, Any]:
        agents = tokens(USERS + len(WORST) + 1)
        tallies = {k: Tally() for k in ("drafts", "events", "reads", "health", "worst")}
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        async with httpx.AsyncClient(base_url=self.base, timeout=120, limits=limits) as http:
            until = time.perf_counter() + seconds
            jobs = [self.prober(http, until, tallies["health"])]
            jobs += [
                self.drafter(http, agents[i], until, tallies["drafts"])
                for i in range(users.get("drafters", 0))
            ]
            jobs += [
                self.eventer(http, agents[i], until, tallies["events"])
                for i in range(users.get("drafters", 0), users.get("drafters", 0) + users.get("eventers", 0))
            ]
            jobs += [self.reader(http, until, tallies["reads"]) for _ in range(users.get("readers", 0))]
            jobs += [
                self.paced_drafter(http, agents[i], until, tallies["drafts"], users["paced"] / USERS)
                for i in range(USERS if users.get("paced") else 0)
            ]
            jobs += [
                self.drafter(http, agents[USERS + i], until, tallies["worst"], worst=q)
                for i, q in enumerate(WORST[: users.get("worst", 0)])
            ]
            started, cpu, own = time.perf_counter(), server_cpu_s(self.server_pids), time.process_time()
            await asyncio.gather(*jobs)
            duration, cpu = time.perf_counter() - started, server_cpu_s(self.server_pids) - cpu
            own = time.process_time() - own
        out: dict[str, Any] = {"seconds": round(duration, 1), "users": users}
        if self.server_pids:
            out["server_cpu_s"], out["client_cpu_s"] = round(cpu, 2), round(own, 2)
        served = len(tallies["drafts"].seconds)
        if self.server_pids and served and not users.get("eventers") and not users.get("worst"):
            # Only where drafts are all the server does (and /health, a few ms a second).
            out["server_cpu_ms_per_draft"] = round(cpu / served * 1000, 1)
            # The client shares the two cores: what it burns per draft is taken from the server.
            out["client_cpu_ms_per_draft"] = round(own / served * 1000, 1)
        for key, tally in tallies.items():
            if tally.statuses:
                out[key] = tally.summary(duration)
        print(f"{name}: " + json.dumps(out, ensure_ascii=False), flush=True)
        return out


def load_questions() -> list[str]:
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    questions = [r["question"] for r in rows if r.get("question")]
    random.Random(3).shuffle(questions)
    return questions


async def run_phases(
    base: str, seconds: float, only: str | None = None, server_pids: list[int] | None = None
) -> dict[str, Any]:
    load = Load(base, load_questions(), server_pids=server_pids)
    await load.phase("warm-up", 5, {"drafters": USERS})
    if only == "costs":  # each kind of request alone: the server's CPU per request of that kind
        costs = {}
        for kind, users in (("drafts", {"drafters": USERS}), ("events", {"eventers": USERS})):
            got = await load.phase(f"{kind} alone", seconds, users)
            costs[kind] = round(got["server_cpu_s"] / got[kind]["ok"] * 1000, 2)
        got = await load.phase("reads alone", seconds, {"readers": READERS_MIXED})
        costs["reads"] = round(got["server_cpu_s"] / got["reads"]["ok"] * 1000, 2)
        print("server CPU ms per request: " + json.dumps(costs), flush=True)
        return {"costs": costs}
    if only:  # a quick look at one phase while tuning (not written as the result)
        users = {
            "drafts_only": {"drafters": USERS},
            "paced": {"paced": PACED_RATE},
            "mixed": {"drafters": DRAFTERS_MIXED, "eventers": EVENTERS_MIXED, "readers": READERS_MIXED},
        }[only]
        return {only: await load.phase(only, seconds, users)}
    idle = await load.phase("idle", seconds, {"drafters": 1})
    drafts_only = await load.phase("drafts_only", seconds, {"drafters": USERS})
    mixed = await load.phase(
        "mixed", seconds, {"drafters": DRAFTERS_MIXED, "eventers": EVENTERS_MIXED, "readers": READERS_MIXED}
    )
    stall = await load.phase("stall", seconds, {"drafters": 1, "worst": len(WORST)})
    paced = await load.phase("paced", seconds, {"paced": PACED_RATE})
    return {"idle": idle, "drafts_only": drafts_only, "mixed": mixed, "stall": stall, "paced": paced}


def wait_ready(base: str, proc: subprocess.Popen[bytes], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}")
        try:
            if httpx.get(f"{base}/api/v1/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("the server was not ready in time")


def headline(phases: dict[str, Any]) -> dict[str, Any]:
    def drafts(p: dict[str, Any]) -> dict[str, Any]:
        d = p.get("drafts", {})
        return {
            "drafts_per_s": d.get("per_s"),
            "p95_ms": d.get("p95_ms"),
            "p50_ms": d.get("p50_ms"),
            "errors": d.get("errors"),
        }

    mixed = phases["mixed"]
    paced = phases.get("paced", {}).get("drafts", {})
    return {
        **{
            key: {name: phases[name].get(key) for name in ("idle", "drafts_only", "paced")}
            for key in ("server_cpu_ms_per_draft", "client_cpu_ms_per_draft")
        },
        "paced": {
            "offered_per_s": PACED_RATE,
            "drafts_per_s": paced.get("per_s"),
            "p50_ms": paced.get("p50_ms"),
            "p95_ms": paced.get("p95_ms"),
            "errors": paced.get("errors"),
        },
        "drafts_only": drafts(phases["drafts_only"]),
        "mixed": {
            **drafts(mixed),
            "events_per_s": mixed.get("events", {}).get("per_s"),
            "events_p95_ms": mixed.get("events", {}).get("p95_ms"),
            "reads_per_s": mixed.get("reads", {}).get("per_s"),
            "reads_p95_ms": mixed.get("reads", {}).get("p95_ms"),
        },
        "health_p95_ms_under_load": {
            name: phases[name].get("health", {}).get("p95_ms")
            for name in ("idle", "drafts_only", "mixed", "stall")
        },
        "stall": {
            "idle_p95_ms": phases["idle"]["drafts"]["p95_ms"],
            "during_p95_ms": phases["stall"].get("drafts", {}).get("p95_ms"),
            "worst_case_questions": phases["stall"].get("worst", {}),
        },
    }


DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def caddyfile(front: int, ports: list[int]) -> str:
    """The shipped proxy's balancing (deploy/Caddyfile's ``lb_policy``) in front of local replicas."""
    policy = re.search(r"lb_policy\s+(\w+)", (DEPLOY / "Caddyfile").read_text(encoding="utf-8"))
    upstreams = " ".join(f"127.0.0.1:{p}" for p in ports)
    return (
        "{\n\tadmin off\n\tauto_https off\n}\n"
        f"http://127.0.0.1:{front} {{\n\treverse_proxy {upstreams} {{\n"
        f"\t\tlb_policy {policy.group(1) if policy else 'round_robin'}\n\t\tflush_interval -1\n\t}}\n}}\n"
    )


@contextlib.contextmanager
def served(topology: str, work: Path, workers: int) -> Iterator[tuple[str, list[int], str]]:
    """Start the app as ``topology`` says; yields its base URL, the processes to charge and a label.

    - ``workers``: one ``hra serve`` with ``workers`` processes sharing its socket — a connection
      stays with the process that accepted it;
    - ``deployed``: as ``deploy/`` runs it, ``workers`` one-process replicas behind Caddy with the
      shipped balancing policy (per request) — Caddy's CPU is charged to the server side too."""
    procs: list[subprocess.Popen[bytes]] = []
    root = Path(__file__).resolve().parent.parent

    def serve(port: int, processes: int) -> str:
        """``hra serve`` on ``port``, ready; its base URL."""
        env = server_env(work, port, processes)
        procs.append(subprocess.Popen([sys.executable, "-m", "assistant.cli", "serve"], cwd=root, env=env))
        wait_ready(f"http://127.0.0.1:{port}", procs[-1])
        return f"http://127.0.0.1:{port}"

    try:
        if topology == "workers":
            base = serve(free_port(), workers)
            yield base, [procs[0].pid], f"one hra serve, {workers} worker processes"
            return
        caddy = shutil.which("caddy")
        if caddy is None:
            raise SystemExit("--topology deployed needs Caddy on PATH (apt-get install caddy)")
        ports = [free_port() for _ in range(workers)]
        for port in ports:  # one after the other: the first builds what the store needs, alone
            serve(port, 1)
        front = free_port()
        (work / "Caddyfile").write_text(caddyfile(front, ports), encoding="utf-8")
        procs.append(
            subprocess.Popen(
                [caddy, "run", "--config", str(work / "Caddyfile"), "--adapter", "caddyfile"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        base = f"http://127.0.0.1:{front}"
        wait_ready(base, procs[-1])
        label = (
            f"{workers} one-process replicas behind Caddy {caddy_version(caddy)} (deploy/Caddyfile's policy)"
        )
        yield base, [p.pid for p in procs], label
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGINT)
        for proc in procs:
            proc.wait(30)


def caddy_version(caddy: str) -> str:
    out = subprocess.run([caddy, "version"], capture_output=True, text=True, check=False).stdout
    return out.split()[0] if out.split() else "?"


def measured(phases: dict[str, Any]) -> dict[str, Any]:
    """One topology's figures: the headline, the stall ratio, every phase."""
    result = headline(phases)
    stall = result["stall"]
    stall["after_p95_ms"] = stall["during_p95_ms"]
    stall["ratio"] = (
        round(stall["during_p95_ms"] / stall["idle_p95_ms"], 2) if stall["during_p95_ms"] else None
    )
    return {**result, "phases": phases}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="Length of each phase.")
    parser.add_argument("--label", default="after", help="'after' writes bench/results/load.json.")
    parser.add_argument("--out", type=Path, help="Write here instead (e.g. a 'before' run).")
    parser.add_argument("--merge-before", type=Path, help="A --label before file to quote as 'before'.")
    parser.add_argument("--workers", type=int, default=2, help="Server processes (workers or replicas).")
    parser.add_argument(
        "--topology",
        choices=["deployed", "workers", "both"],
        default="both",
        help="deployed: replicas behind Caddy, as deploy/ (the headline); workers: one hra serve.",
    )
    parser.add_argument("--only-drafts", action="store_true", help="Tuning: the drafts_only phase, printed.")
    parser.add_argument("--only-paced", action="store_true", help="Tuning: the paced phase, printed.")
    parser.add_argument("--only-mixed", action="store_true", help="Tuning: the mixed phase, printed.")
    parser.add_argument(
        "--costs", action="store_true", help="Tuning: server CPU per draft, per event, per read, printed."
    )
    args = parser.parse_args()
    only = (
        "drafts_only"
        if args.only_drafts
        else "paced"
        if args.only_paced
        else "mixed"
        if args.only_mixed
        else "costs"
        if args.costs
        else None
    )
    topologies = ["deployed", "workers"] if args.topology == "both" else [args.topology]
    runs: dict[str, dict[str, Any]] = {}
    for topology in topologies:
        work = Path(tempfile.mkdtemp(prefix="hra-load-"))
        try:
            with served(topology, work, args.workers) as (base, pids, label):
                print(f"--- {label}", flush=True)
                phases = asyncio.run(run_phases(base, args.seconds, only, pids))
            runs[topology] = {"served_as": label, **measured(phases)} if not only else phases
        finally:
            shutil.rmtree(work, ignore_errors=True)  # a 30 MB store per run otherwise stays in /tmp
    if only:
        return
    first = runs[topologies[0]]
    result: dict[str, Any] = {
        "label": args.label,
        "server_workers": args.workers,
        "topology": topologies[0],
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "method": __doc__.split("\n\n", 1)[1].split("\n\nTargets")[0].replace("\n", " "),
        "targets": {"drafts_per_s": 40, "p95_ms": 300, "stall_ratio": 3.0},
        **first,
        **{f"as_{name}": run for name, run in runs.items() if name != topologies[0]},
        "machine": machine(),
    }
    if args.merge_before:
        before = json.loads(args.merge_before.read_text(encoding="utf-8"))
        result["before"] = {
            k: before[k] for k in ("drafts_only", "mixed", "health_p95_ms_under_load", "stall")
        }
        result["stall"]["before_p95_ms"] = before["stall"]["during_p95_ms"]
        result["stall"]["before_idle_p95_ms"] = before["stall"]["idle_p95_ms"]
    if args.out:
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(args.out)
    else:
        print(write_result("load", result))


if __name__ == "__main__":
    main()
