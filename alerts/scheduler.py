"""The in-process scheduler (APScheduler 3 `BackgroundScheduler`): alert checks every ALERT_CHECK_SECONDS while
the exchange is open, due briefs every minute. Webhook deliveries are only queued by these jobs: they run on the
alert service's own small pool, each bounded by a time limit, so a dead webhook never delays the next check.

It holds no state of its own: rules, crossing states, fired notifications, brief schedules and their last runs
are all in the database, so starting it again after a restart rebuilds everything and fires nothing twice.
`tick_alerts()` / `tick_briefs()` are what the jobs run; tests call them with an injected clock.

Several replicas on one PostgreSQL database each run this scheduler, and every job runs once across them
(`core.db.run_once`): at each tick a replica takes the job's advisory lock without waiting and claims the job's
slot (a compare-and-set on `job_slots`); the others skip that tick. The lock dies with its connection, so a replica
killed mid-job leaves the next slot to whichever replica ticks then. (APScheduler 4's shared data stores would do
this too, but 4.0 is still a pre-release with an unstable API, and the pinned 3.x has no shared store that
coordinates running jobs; a lock and a row are all it takes.)
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime

from alerts.briefs import brief_text, due_slot, parse_schedule
from alerts.checker import CheckReport
from alerts.rules import AlertInputError
from alerts.service import AlertService
from alerts.store import Brief
from core.db import run_once

log = logging.getLogger(__name__)


class BriefDesk:
    """Brief schedules per workspace and producing them as notifications."""

    def __init__(self, service: AlertService, positions_of: Callable[[str], list[str]] | None = None,
                 commentary: Callable[[str, str], str | None] | None = None):
        self.service = service
        self.positions_of = positions_of
        self.commentary = commentary

    def add(self, workspace: str, words: list[str]) -> Brief:
        cadence, at, weekday = parse_schedule(words)
        store = self.service.store
        if store.count_briefs(workspace) >= self.service.caps.briefs:
            raise AlertInputError(f"This workspace has the maximum of {self.service.caps.briefs} scheduled briefs; "
                                  "delete one with `/brief delete ID` first.")
        return store.add_brief(workspace, cadence, at, weekday, self.service.clock())

    def briefs(self, workspace: str) -> list[Brief]:
        return self.service.store.briefs(workspace)

    def delete(self, workspace: str, brief_id: str) -> None:
        if not self.service.store.delete_brief(workspace, brief_id):
            raise AlertInputError(f"There is no scheduled brief {brief_id.upper()} (see `/brief`).")

    def produce(self, workspace: str, since: str | None = None, now: datetime | None = None) -> int:
        """A brief now, stored as a notification (and queued for the webhook); returns its id."""
        now = now or self.service.clock()
        title, body, data = brief_text(self.service, workspace, now, since, self.positions_of, self.commentary)
        return self.service.notify(workspace, "brief", title, body, data)

    def run_due(self, now: datetime | None = None) -> list[int]:
        """Every brief whose slot has come and that has not run for it (claimed atomically first)."""
        now = now or self.service.clock()
        calendar = self.service.calendar
        tz = calendar.tz if calendar is not None else now.tzinfo
        is_session = calendar.is_session if calendar is not None else (lambda day: day.weekday() < 5)
        produced = []
        for brief in self.service.store.briefs():
            slot = due_slot(brief, brief.created, now, tz, is_session)
            if slot and self.service.store.claim_brief(brief.id, brief.last_run, slot):
                try:
                    produced.append(self.produce(brief.workspace, brief.last_run, now))
                except Exception:  # one workspace's brief failing must not stop the others
                    log.exception("brief %s failed", brief.id)
        return produced


class AlertScheduler:
    def __init__(self, service: AlertService, briefs: BriefDesk, interval_s: float = 60.0, owner: str = ""):
        self.service = service
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"  # this replica, in the job slots
        self.briefs = briefs
        self.interval_s = interval_s
        self._scheduler = None
        self._jobs: dict[str, tuple[Callable[[], object], dict]] = {}  # other features' jobs (add_job)
        self._at_start: set[str] = set()  # of those, the ones that also run as the scheduler starts

    def tick_alerts(self, now: datetime | None = None) -> CheckReport:
        report = self.service.check(now)
        if report.fired:
            self.service.deliver_pending()
        return report

    def tick_briefs(self, now: datetime | None = None) -> list[int]:
        produced = self.briefs.run_due(now)
        self.service.deliver_pending()  # queued, not waited for; also retries what a restart left undelivered
        return produced

    def _safely(self, job: Callable[[], object], name: str = "", every_s: float = 0.0) -> Callable[[], None]:
        """The job as the scheduler runs it: once across replicas (when named), failures logged."""
        def run() -> None:
            try:
                if name:
                    run_once(self.service.store.db, name, every_s, job, owner=self.owner)
                else:
                    job()
            except Exception:  # a failing check must not kill the scheduler thread
                log.exception("scheduled job failed")

        return run

    def start(self) -> None:
        from apscheduler.schedulers.background import BackgroundScheduler

        if self._scheduler is not None:
            return
        scheduler = BackgroundScheduler(job_defaults={"coalesce": True, "max_instances": 1,
                                                      "misfire_grace_time": 30}, timezone="UTC")
        scheduler.add_job(self._safely(self.tick_alerts, "alerts", self.interval_s), "interval",
                          seconds=self.interval_s, id="alerts")
        scheduler.add_job(self._safely(self.tick_briefs, "briefs", 60.0), "cron", second=0, id="briefs")
        for job_id, (job, trigger) in self._jobs.items():
            first = {"next_run_time": datetime.now(UTC)} if job_id in self._at_start else {}
            scheduler.add_job(self._safely(job, job_id, _every_s(trigger)), id=job_id, replace_existing=True,
                              **trigger, **first)
        scheduler.start()
        self._scheduler = scheduler

    def add_job(self, job_id: str, job: Callable[[], object], *, at_start: bool = False, **trigger) -> None:
        """Another feature's periodic job on this scheduler (e.g. the daily equity snapshots, the workspace sweep),
        declared when the app's runtime is built and run from `start()` on (`at_start`: also once then); failures
        are logged."""
        self._jobs[job_id] = (job, trigger)
        if at_start:
            self._at_start.add(job_id)
        if self._scheduler is not None:
            self._scheduler.add_job(self._safely(job, job_id, _every_s(trigger)), id=job_id, replace_existing=True,
                                    **trigger)

    @property
    def running(self) -> bool:
        return self._scheduler is not None and self._scheduler.running

    def jobs(self) -> list[str]:
        return [job.id for job in self._scheduler.get_jobs()] if self._scheduler else []

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None


def _every_s(trigger: dict) -> float:
    """How often a job runs, for its once-across-replicas slot (a cron job: every minute at most)."""
    if trigger.get("trigger") != "interval":
        return 60.0
    return trigger.get("seconds", 0) + 60 * trigger.get("minutes", 0) + 3600 * trigger.get("hours", 0)
