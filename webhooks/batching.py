"""Group commit: deliveries arriving together are stored in one transaction, so the durable
write (an fsync) is shared instead of paid per request."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from starlette.concurrency import run_in_threadpool

Item = tuple[Any, ...]


class Batcher:
    def __init__(self, accept_many: Callable[[Sequence[Any]], list[Any]], limit: int = 256) -> None:
        self.accept_many = accept_many
        self.limit = limit
        self.queue: asyncio.Queue[tuple[Item, asyncio.Future[Any]]] | None = None
        self.task: asyncio.Task[None] | None = None

    async def accept(self, *item: Any) -> Any:
        if self.queue is None or self.task is None or self.task.done():
            self.queue = asyncio.Queue()
            self.task = asyncio.create_task(self._run(self.queue))
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        await self.queue.put((item, future))
        return await future

    async def _run(self, queue: asyncio.Queue[tuple[Item, asyncio.Future[Any]]]) -> None:
        while True:
            batch = [await queue.get()]
            while len(batch) < self.limit and not queue.empty():
                batch.append(queue.get_nowait())
            try:
                results = await run_in_threadpool(self.accept_many, [item for item, _ in batch])
            except Exception as exc:
                if len(batch) == 1:
                    _settle(batch[0][1], exception=exc)
                    continue
                # One bad delivery must not fail its neighbours: each is tried alone.
                for item, future in batch:
                    try:
                        (result,) = await run_in_threadpool(self.accept_many, [item])
                    except Exception as alone:
                        _settle(future, exception=alone)
                    else:
                        _settle(future, result=result)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                _settle(future, result=result)


def _settle(
    future: asyncio.Future[Any], result: Any = None, exception: BaseException | None = None
) -> None:
    if future.done():
        return
    if exception is not None:
        future.set_exception(exception)
    else:
        future.set_result(result)
