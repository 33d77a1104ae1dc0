"""A TCP forwarder that can add latency, run in a thread of its own.

The kernel here has no `netem` qdisc (CONFIG_NET_SCH_NETEM is not set), so added latency is applied in
user space: every chunk read from one side is written to the other side `delay` seconds after it was
read, in order. Loss and partitions are not done here but by nft rules in the suite's network
namespace (see netns.py), so that they drop real packets and TCP sees what it would see on a network.
"""

import asyncio
import threading
import time


class Forwarder:
    """Listens on (listen_host, listen_port) and forwards each connection to (target_host, target_port).

    `set_delay` may be called from any thread; it applies to chunks read from then on (chunks already
    queued keep their deadline, so the byte order of a stream is never changed).
    """

    def __init__(self, listen_host, listen_port, target_host, target_port):
        self.listen = (listen_host, listen_port)
        self.target = (target_host, target_port)
        self._delay = 0.0
        self._loop = None
        self._server = None
        self._ready = threading.Event()
        self._error = None
        self._thread = threading.Thread(target=self._run, name=f"forwarder:{listen_port}", daemon=True)
        self._writers = set()

    def start(self):
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError(f"forwarder on {self.listen} did not start")
        if self._error:
            raise RuntimeError(f"forwarder on {self.listen}: {self._error}")

    def set_delay(self, seconds):
        self._delay = float(seconds)

    def stop(self):
        if self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self):
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        try:
            self._server = self._loop.run_until_complete(asyncio.start_server(self._serve, *self.listen))
        except OSError as error:
            self._error = error
            self._ready.set()
            return
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            # Cancel the connections' tasks and let them unwind before the loop goes.
            tasks = asyncio.all_tasks(self._loop)
            for task in tasks:
                task.cancel()
            self._loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            self._loop.close()

    async def _serve(self, client_reader, client_writer):
        try:
            upstream_reader, upstream_writer = await asyncio.wait_for(asyncio.open_connection(*self.target), 5)
        except (OSError, asyncio.TimeoutError):
            client_writer.close()
            return
        self._writers.update((client_writer, upstream_writer))
        try:
            await asyncio.gather(
                self._pipe(client_reader, upstream_writer), self._pipe(upstream_reader, client_writer)
            )
        except asyncio.CancelledError:
            # Only stop() cancels; ending normally keeps Python 3.11's stream callback from calling
            # exception() on a cancelled task (it raises there).
            pass
        finally:
            for writer in (client_writer, upstream_writer):
                self._writers.discard(writer)
                writer.close()

    async def _pipe(self, reader, writer):
        """Copies reader to writer, each chunk held until its deadline (read time + delay)."""
        queue = asyncio.Queue()

        async def read():
            try:
                while chunk := await reader.read(65536):
                    await queue.put((time.monotonic() + self._delay, chunk))
            except OSError:
                pass
            await queue.put((0.0, b""))

        reading = asyncio.ensure_future(read())
        try:
            while True:
                deadline, chunk = await queue.get()
                if not chunk:
                    break
                wait = deadline - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)  # the injected latency itself, not a synchronisation
                writer.write(chunk)
                await writer.drain()
            if writer.can_write_eof():
                writer.write_eof()
        except OSError:
            writer.close()
        finally:
            reading.cancel()
