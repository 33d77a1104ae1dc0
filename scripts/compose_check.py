#!/usr/bin/env python3
"""Checks deploy/docker-compose.yml and deploy/Dockerfile without a Docker engine.

What can be checked offline is checked: the compose file is valid for docker-compose 1.29 and refuses
to start without GATEWAY_JWT_SECRET or KPO_RABBITMQ_PASSWORD; RabbitMQ's management API is published on
loopback only; orders and payments publish no port; the gateway trusts nginx's
fixed address as its proxy; the seed's container names and ports; every path the compose file mounts
or builds from, and every COPY source of the Dockerfile, exists and is not hidden by .dockerignore;
.dockerignore keeps build trees, .run/ (the JWT secret), node_modules, bench results and .git out;
every program the image builds exists in the release build, and each library it links comes from a
package the runtime stage installs; the API docs page's files exist where the gateway image reads
them; the compose nginx configuration passes `nginx -t`.

Usage: scripts/compose_check.py [REPO_ROOT [BUILD_DIR]]   (exit status 1 and a list on failure)
"""
import fnmatch
import os
import re
import shutil
import shlex
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "build", "release"))
COMPOSE = os.path.join(ROOT, "deploy", "docker-compose.yml")
# (service, container name, published host ports): the seed's names and ports.
EXPECTED = [("postgres", "KPO4", set()), ("rabbitmq", "rabbitmq", {"127.0.0.1:15672"}),
            ("orders", "orderservice", set()), ("payments", "paymentsservice", set()),
            ("gateway", "apigateway", {"5005"}), ("nginx", "frontend", {"3000"})]
MUST_IGNORE = [".git", ".run/jwt_secret", "build/release", "frontend/node_modules",
               "services/gateway/docs/node_modules", "bench/results"]
# In every Debian image (apt itself needs them), so the runtime stage need not name them.
BASE_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6"}
errors = []


def fail(message):
    errors.append(message)


def compose_config(env):
    return subprocess.run(["docker-compose", "-f", COMPOSE, "config"], env=env, capture_output=True, text=True)


def load_compose():
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GATEWAY_", "KPO_COMPOSE")) and k != "KPO_RABBITMQ_PASSWORD"}
    required = {"GATEWAY_JWT_SECRET": "compose-check-secret", "KPO_RABBITMQ_PASSWORD": "compose-check-password"}
    for name in required:
        unset = compose_config(dict(env, **{k: v for k, v in required.items() if k != name}))
        if unset.returncode == 0 or name not in unset.stderr:
            fail(f"docker-compose config must refuse to run without {name}")
    result = compose_config(dict(env, **required))
    if result.returncode != 0:
        fail("docker-compose config failed: " + result.stderr.strip())
        return {}
    return yaml.safe_load(result.stdout)


def ignore_patterns():
    path = os.path.join(ROOT, ".dockerignore")
    if not os.path.isfile(path):
        fail(".dockerignore is missing at the build context's root (the classic builder reads only that one)")
        return []
    with open(path, encoding="utf-8") as f:
        lines = [line.strip() for line in f]
    return [line.rstrip("/") for line in lines if line and not line.startswith("#")]


def ignored(rel, patterns):
    """Whether .dockerignore hides `rel` (or a directory above it); `!` exceptions are not supported."""
    parts = rel.strip("/").split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        if pattern.startswith("!"):
            fail(".dockerignore: exceptions (!) are not supported by this check: " + pattern)
            continue
        for prefix in prefixes:
            if pattern.startswith("**/"):
                if fnmatch.fnmatch(prefix.split("/")[-1], pattern[3:]) or fnmatch.fnmatch(prefix, pattern[3:]):
                    return True
            elif fnmatch.fnmatch(prefix, pattern):
                return True
    return False


def published_port(port):
    """"[host_ip:]published" of a port entry, long (dict) or short ("ip:host:container") syntax."""
    if isinstance(port, dict):
        host_ip, published = port.get("host_ip"), str(port.get("published", ""))
        return f"{host_ip}:{published}" if host_ip else published
    parts = str(port).split(":")
    return ":".join(parts[:-1]) if len(parts) > 1 else parts[0]


def check_services(config):
    services = config.get("services", {})
    for name, container, ports in EXPECTED:
        service = services.get(name)
        if service is None:
            fail(f"compose: service {name} is missing")
            continue
        if service.get("container_name") != container:
            fail(f"compose: {name} must be container {container}, not {service.get('container_name')}")
        published = {published_port(p) for p in service.get("ports", [])}
        if published != ports:
            fail(f"compose: {name} publishes {sorted(published)}, expected {sorted(ports)}")
        for volume in service.get("volumes", []):
            source = volume.get("source") if isinstance(volume, dict) else str(volume).split(":")[0]
            if source.startswith("/") and not os.path.exists(source):
                fail(f"compose: {name} mounts {source}, which does not exist")
    gateway, nginx = services.get("gateway", {}), services.get("nginx", {})
    address = (nginx.get("networks") or {}).get("kpo", {}) or {}
    trusted = (gateway.get("environment") or {}).get("GATEWAY_TRUSTED_PROXIES", "").split(",")
    if not address.get("ipv4_address") or address.get("ipv4_address") not in trusted:
        fail("compose: the gateway's GATEWAY_TRUSTED_PROXIES must hold nginx's fixed ipv4_address")
    return services


def dockerfile_stages(path):
    """[(stage name, [(instruction, argument text)])] with continuation lines joined."""
    with open(path, encoding="utf-8") as f:
        text = re.sub(r"\\\n", " ", f.read())
    stages = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, rest = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            words = rest.split()
            stages.append((words[2] if len(words) > 2 and words[1].upper() == "AS" else str(len(stages)), []))
        elif stages:
            stages[-1][1].append((instruction, rest))
    return stages


def check_copies(stages, context, patterns):
    seen = set()
    for stage, instructions in stages:
        for instruction, rest in instructions:
            if instruction not in ("COPY", "ADD"):
                continue
            words = shlex.split(rest)
            source_from = [w.split("=", 1)[1] for w in words if w.startswith("--from=")]
            sources = [w for w in words if not w.startswith("--")][:-1]
            if source_from:
                if source_from[0] not in seen:
                    fail(f"Dockerfile {stage}: COPY --from={source_from[0]} names no earlier stage")
                continue
            for source in sources:
                rel = os.path.normpath(source).lstrip("./") or "."
                if not os.path.exists(os.path.join(context, rel)):
                    fail(f"Dockerfile {stage}: COPY source {source} does not exist")
                elif rel != "." and ignored(rel, patterns):
                    fail(f"Dockerfile {stage}: COPY source {source} is excluded by .dockerignore")
        seen.add(stage)


def packages_of(libraries):
    """{library file name: Debian package that ships it for this architecture} in one dpkg-query."""
    if not libraries:
        return {}
    out = subprocess.run(["dpkg-query", "-S"] + ["*/" + lib for lib in sorted(libraries)],
                         capture_output=True, text=True).stdout
    owners = {}
    for line in out.splitlines():
        owner, _, path = line.partition(": ")
        if re.search(r"/(x86_64|aarch64)-linux-gnu/|/lib64/", path):
            owners.setdefault(os.path.basename(path), owner.split(":")[0].split(",")[0])
    return owners


def check_binaries(stages):
    steps = dict(stages)
    build_text = " ".join(rest for _, rest in steps.get("build", []))
    targets = re.findall(r"--target((?:\s+kpo-[\w-]+)+)", build_text)
    programs = targets[0].split() if targets else []
    if not programs:
        fail("Dockerfile build: no `cmake --build ... --target kpo-...` programs found")
    runtime_text = " ".join(rest for i, rest in steps.get("runtime", []) if i == "RUN")
    installed = set(re.findall(r"\b(lib[\w.+-]+|curl|ca-certificates)\b", runtime_text)) | BASE_PACKAGES
    needed = {}
    for program in programs:
        found = [os.path.join(BUILD, d, program) for d in ("services/" + program[4:], "tools")]
        found = [path for path in found if os.path.isfile(path)]
        if not found:
            fail(f"{program}: not in {BUILD} (build the release preset first)")
            continue
        dynamic = subprocess.run(["readelf", "-d", found[0]], capture_output=True, text=True).stdout
        needed[program] = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dynamic)
    owners = packages_of({lib for libs in needed.values() for lib in libs})
    for program, libraries in needed.items():
        for library in libraries:
            package = owners.get(library)
            if package is None:
                fail(f"{program}: no Debian package provides {library}")
            elif package not in installed:
                fail(f"{program} links {library} from {package}, which the runtime stage does not install")
    return programs


def check_docs(stages):
    runtime = " ".join(f"{i} {rest}" for i, rest in dict(stages).get("runtime", []))
    if "GATEWAY_DOCS_DIR=/usr/local/share/kpo/docs" not in runtime or "/usr/local/share/kpo/docs" not in \
            runtime.split("GATEWAY_DOCS_DIR")[0]:
        fail("Dockerfile runtime: the docs must be copied to /usr/local/share/kpo/docs and GATEWAY_DOCS_DIR set")
    docs = os.path.join(ROOT, "services", "gateway", "docs")
    with open(os.path.join(docs, "index.html"), encoding="utf-8") as f:
        assets = re.findall(r'(?:href|src)="\./([^"]+)"', f.read())
    for asset in assets:
        if not os.path.isfile(os.path.join(docs, "node_modules", "swagger-ui-dist", asset)) and \
                not os.path.isfile(os.path.join(docs, asset)):
            fail(f"/api/docs loads {asset}, which neither services/gateway/docs nor swagger-ui-dist has "
                 "(scripts/lib.sh docs_deps installs it)")


def check_nginx(services):
    """`nginx -t` on the compose site config, the compose service names pointed at loopback, beside the
    other files the Dockerfile copies into /etc/nginx/ (which a relative `include` finds there)."""
    with open(os.path.join(ROOT, "deploy", "compose", "nginx.conf"), encoding="utf-8") as f:
        site = f.read()
    for name in services:
        site = re.sub(rf"\bserver\s+{re.escape(name)}:", "server 127.0.0.1:", site)
    with tempfile.TemporaryDirectory(prefix="kpo-compose-nginx.") as d:
        with open(os.path.join(d, "site.conf"), "w", encoding="utf-8") as f:
            f.write(site)
        with open(os.path.join(ROOT, "deploy", "Dockerfile"), encoding="utf-8") as f:
            for source, target in re.findall(r"^COPY\s+(deploy/\S+)\s+/etc/nginx/(\S+)\s*$", f.read(), re.M):
                if source != "deploy/compose/nginx.conf" and os.path.isfile(os.path.join(ROOT, source)):
                    os.makedirs(os.path.dirname(os.path.join(d, target)), exist_ok=True)
                    shutil.copyfile(os.path.join(ROOT, source), os.path.join(d, target))
        temps = " ".join(f"{k}_temp_path {d}/{k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        with open(os.path.join(d, "main.conf"), "w", encoding="utf-8") as f:
            f.write(f"pid {d}/pid;\nerror_log {d}/error.log;\nevents {{}}\nhttp {{ include /etc/nginx/mime.types; "
                    f"access_log off; {temps} include {d}/site.conf; }}\n")
        nginx = next((p for p in ("/usr/sbin/nginx", "/usr/bin/nginx") if os.path.exists(p)), "nginx")
        result = subprocess.run([nginx, "-q", "-t", "-p", d + "/", "-e", d + "/error.log", "-c", d + "/main.conf"],
                                capture_output=True, text=True)
        if result.returncode != 0:
            fail("deploy/compose/nginx.conf: nginx -t failed: " + result.stderr.strip())


def main():
    config = load_compose()
    services = check_services(config) if config else {}
    patterns = ignore_patterns()
    for path in MUST_IGNORE:
        if not ignored(path, patterns):
            fail(f".dockerignore lets {path} into the build context")
    for name, service in services.items():
        build = service.get("build")
        if build and not os.path.isfile(os.path.join(build["context"], build.get("dockerfile", "Dockerfile"))):
            fail(f"compose: {name} builds from a Dockerfile that does not exist")
    stages = dockerfile_stages(os.path.join(ROOT, "deploy", "Dockerfile"))
    names = [name for name, _ in stages]
    for name, service in services.items():
        target = (service.get("build") or {}).get("target")
        if target and target not in names:
            fail(f"compose: {name} builds target {target}, which deploy/Dockerfile does not define")
    check_copies(stages, ROOT, patterns)
    programs = check_binaries(stages)
    for name, service in services.items():
        command = service.get("command") or []
        if service.get("image") == "kpo4/app:local" and (not command or command[0] not in programs):
            fail(f"compose: {name} runs {command[:1]}, which the runtime image does not contain")
    check_docs(stages)
    check_nginx(services)
    for message in errors:
        print("compose check: " + message, file=sys.stderr)
    if not errors:
        print(f"compose check: deploy/docker-compose.yml and deploy/Dockerfile are consistent ({len(services)} services)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
