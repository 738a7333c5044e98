"""Leader election between `earnings-bot run` processes on one PostgreSQL database.

    election = Election(AdvisoryLeaderLock(engine), on_elected=start_polling, on_deposed=stop_polling)
    task = asyncio.create_task(election.run(stop))

A standby tries the advisory lock every CHECK_SECONDS; the leader asks every CHECK_SECONDS whether
its lock connection still holds it, and steps down (on_deposed) when not. A leader killed with
SIGKILL loses its connection, so its lock, at once: a standby leads within CHECK_SECONDS.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

logger = logging.getLogger(__name__)

CHECK_SECONDS = 3.0
LEADER, STANDBY = "leader", "standby"


class LeaderLock(Protocol):
    def try_acquire(self) -> bool: ...
    def still_held(self) -> bool: ...
    def processes(self) -> int: ...
    def release(self) -> None: ...


class Election:
    """Hold or wait for leadership until stopped; see the module docstring."""

    def __init__(
        self, lock: LeaderLock, *, on_elected: Callable[[], Awaitable[None]],
        on_deposed: Callable[[], Awaitable[None]], check_seconds: float = CHECK_SECONDS,
        on_processes: Callable[[int], None] | None = None,
    ) -> None:
        self.lock = lock
        self.on_elected = on_elected
        self.on_deposed = on_deposed
        self.check_seconds = check_seconds
        self.on_processes = on_processes  # told how many processes share the database, each check
        self.is_leader = False

    @property
    def role(self) -> str:
        return LEADER if self.is_leader else STANDBY

    async def run(self, stop: asyncio.Event) -> None:
        """Campaign until stop is set; then step down and release the lock."""
        logger.info("standby: waiting to lead (another process may hold the leader lock)")
        try:
            while not stop.is_set():
                await self.check()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.check_seconds)
        finally:
            if self.is_leader:
                self.is_leader = False
                with contextlib.suppress(Exception):
                    await self.on_deposed()
            await asyncio.to_thread(self.lock.release)

    async def check(self) -> None:
        """Take the lead if it is free, or step down if the lock is lost."""
        await self._campaign()
        if self.on_processes is not None:
            count = await asyncio.to_thread(self.lock.processes)
            if count:
                self.on_processes(count)

    async def _campaign(self) -> None:
        if self.is_leader:
            if await asyncio.to_thread(self.lock.still_held):
                return
            self.is_leader = False
            logger.warning("lost the leader lock (its database connection is gone): stepping down to standby")
            await self._call(self.on_deposed, "stepping down")
            return
        if await asyncio.to_thread(self.lock.try_acquire):
            self.is_leader = True
            logger.info("leader: this process polls the sources, runs the schedule and reads updates")
            await self._call(self.on_elected, "taking the lead")

    @staticmethod
    async def _call(hook: Callable[[], Awaitable[None]], what: str) -> None:
        try:
            await hook()
        except Exception:
            logger.exception("error while %s", what)
