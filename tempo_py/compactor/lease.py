"""Leases on the object store, so two compactors never merge the same blocks.

A lease covers one (tenant, time window): every job of that window runs under it, which also keeps
two compactors with slightly different listings (one saw a block the other did not yet) apart.

Leases are generations of objects, ``<tenant>/compactor-leases/<window>/<gen>.json``, created only
with ``put_if_absent``: whoever creates generation g+1 holds the lease, and at most one can. A
holder renews by overwriting its own generation with a later expiry and releases by marking it
released; it never deletes it, so the highest generation always exists and the next taker knows
which number to create. Generation g+1 may be created only when g is released, expired, or held
by a dead earlier incarnation of this compactor (same host, process gone or restarted under the
same PID), so a compactor restarted after ``kill -9`` resumes at once instead of waiting out the
expiry. Before committing a job (marking inputs compacted) the holder checks that no higher
generation exists; a holder that lost its lease stops, and the taker finishes the job from the
output block it finds (see :mod:`tempo_py.compactor.recovery`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Any

from tempo_py.block.paths import lease_prefix
from tempo_py.storage.base import ObjectNotFound, ObjectStore

log = logging.getLogger(__name__)

DEFAULT_TTL_S = 300.0
_PROCESS_NONCE = uuid.uuid4().hex


def _gen_key(prefix: str, gen: int) -> str:
    return f"{prefix}{gen:010d}.json"


def _gens(prefix: str, keys: list[str]) -> list[int]:
    out = []
    for key in keys:
        name = key[len(prefix) :]
        if name.endswith(".json") and name[:-5].isdigit():
            out.append(int(name[:-5]))
    return sorted(out)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class Owner:
    """Who holds a lease: host, process and a nonce unique to this process's lifetime."""

    host: str
    pid: int
    nonce: str

    @staticmethod
    def current() -> Owner:
        """This process (one nonce per process lifetime, shared by all its lease managers)."""
        return Owner(socket.gethostname(), os.getpid(), _PROCESS_NONCE)

    def __str__(self) -> str:
        return f"{self.host}/{self.pid}/{self.nonce[:8]}"


class Lease:
    """A lease this process holds."""

    def __init__(self, store: ObjectStore, prefix: str, gen: int, owner: Owner, ttl_s: float) -> None:
        self.store = store
        self.prefix = prefix
        self.gen = gen
        self.owner = owner
        self.ttl_s = ttl_s
        self.expires = time.time() + ttl_s
        self._renewer: asyncio.Task[None] | None = None

    @property
    def key(self) -> str:
        """This generation's object key."""
        return _gen_key(self.prefix, self.gen)

    def document(self, *, released: bool = False) -> bytes:
        """The lease object's bytes."""
        doc = {
            "host": self.owner.host,
            "pid": self.owner.pid,
            "nonce": self.owner.nonce,
            "expires": self.expires,
            "released": released,
        }
        return json.dumps(doc).encode()

    async def renew(self) -> None:
        """Push the expiry ``ttl_s`` ahead."""
        self.expires = time.time() + self.ttl_s
        await self.store.put(self.key, self.document())

    def start_renewing(self) -> None:
        """Renew every third of the TTL in the background until :meth:`release`."""

        async def loop() -> None:
            while True:
                await asyncio.sleep(self.ttl_s / 3)  # the renewal period, not a readiness wait
                try:
                    await self.renew()
                except Exception:
                    log.exception("renewing compactor lease %s failed", self.key)

        self._renewer = asyncio.ensure_future(loop())

    async def still_held(self) -> bool:
        """True while unexpired and no later generation exists (checked on the store)."""
        if time.time() >= self.expires:
            return False
        return all(g <= self.gen for g in _gens(self.prefix, await self.store.list(self.prefix)))

    async def release(self) -> None:
        """Stop renewing and mark this generation released (best effort: expiry covers failure)."""
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
            self._renewer = None
        try:
            await self.store.put(self.key, self.document(released=True))
        except Exception:
            log.exception("releasing compactor lease %s failed; it expires on its own", self.key)


class LeaseManager:
    """Acquires leases for one compactor process."""

    def __init__(
        self, store: ObjectStore, *, owner: Owner | None = None, ttl_s: float = DEFAULT_TTL_S
    ) -> None:
        self.store = store
        self.owner = owner or Owner.current()
        self.ttl_s = ttl_s

    def _free(self, doc: dict[str, Any]) -> bool:
        if doc.get("released") or float(doc.get("expires", 0)) < time.time():
            return True
        if doc.get("host") != self.owner.host or doc.get("nonce") == self.owner.nonce:
            return False
        pid = int(doc.get("pid", -1))
        # Same host, another lifetime: an earlier incarnation of us (restart reusing our PID, as
        # PID 1 in a container does) or a process that no longer exists.
        return pid == self.owner.pid or not _pid_alive(pid)

    async def acquire(self, tenant: str, name: str) -> Lease | None:
        """Take the lease ``name`` of ``tenant`` if free; None if another compactor holds it."""
        prefix = lease_prefix(tenant, name)
        gens = _gens(prefix, await self.store.list(prefix))
        gen = 0
        if gens:
            latest = gens[-1]
            try:
                doc = json.loads(await self.store.get(_gen_key(prefix, latest)))
            except ObjectNotFound:
                return None  # a taker is cleaning up older generations right now
            except ValueError:
                doc = {}  # unreadable lease: treat as expired
            if not isinstance(doc, dict):
                doc = {}
            if not self._free(doc):
                return None
            gen = latest + 1
        lease = Lease(self.store, prefix, gen, self.owner, self.ttl_s)
        if not await self.store.put_if_absent(lease.key, lease.document()):
            return None
        for old in gens:
            with contextlib.suppress(Exception):
                await self.store.delete(_gen_key(prefix, old))
        return lease
