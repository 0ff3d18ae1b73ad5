#!/usr/bin/env bash
# Renders the nginx templates of this folder into OUT_DIR (cairn.conf and the files it includes): each ${CAIRN_...}
# is replaced by the environment variable of that name, and one that is unset stops the rendering with its name
# (nginx's own $variables are left alone). Defaults: CAIRN_CONF_DIR is OUT_DIR, CAIRN_VIEWER "plugin",
# CAIRN_CONNECT_SRC empty, CAIRN_HTTP_LISTEN 80, CAIRN_LISTEN 443, CAIRN_PUBLIC_HOST is CAIRN_SERVER_NAME; with
# CAIRN_VIEWER=plugin the two roots are not needed; CAIRN_AUTH_REQUEST (a URL) adds authentication at nginx
# (cairn-auth-request.conf). cairn.conf.template lists the variables.
#
# usage: CAIRN_SERVER_NAME=pacs.example.org CAIRN_TLS_CERT=... CAIRN_TLS_KEY=... CAIRN_PACS=127.0.0.1:8042 \
#          deploy/nginx/render.sh /etc/nginx/cairn
#        then, inside nginx's http {} block: include /etc/nginx/cairn/cairn.conf;
set -euo pipefail
[[ $# == 1 ]] || { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
templates=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
export CAIRN_CONF_DIR=${CAIRN_CONF_DIR:-$out}
export CAIRN_VIEWER=${CAIRN_VIEWER:-plugin}
export CAIRN_CONNECT_SRC=${CAIRN_CONNECT_SRC:-}
export CAIRN_HTTP_LISTEN=${CAIRN_HTTP_LISTEN:-80}
export CAIRN_LISTEN=${CAIRN_LISTEN:-443}
if [[ -n ${CAIRN_SERVER_NAME:-} ]]; then
  export CAIRN_PUBLIC_HOST=${CAIRN_PUBLIC_HOST:-$CAIRN_SERVER_NAME}
fi
case $CAIRN_VIEWER in
  plugin) skip=cairn-viewer-disk.conf.template ;;
  disk) skip=cairn-viewer-plugin.conf.template ;;
  *) echo "render.sh: CAIRN_VIEWER must be plugin or disk, not $CAIRN_VIEWER" >&2; exit 1 ;;
esac

# Without CAIRN_AUTH_REQUEST, no auth_request file (and none left from an earlier rendering into the same folder).
[[ -n ${CAIRN_AUTH_REQUEST:-} ]] || rm -f "$out/cairn-auth-request.conf"

for template in "$templates"/*.conf.template; do
  name=$(basename "$template")
  [[ $name != "$skip" ]] || continue
  [[ $CAIRN_VIEWER == disk || $name != cairn-static.conf.template ]] || continue
  [[ -n ${CAIRN_AUTH_REQUEST:-} || $name != cairn-auth-request.conf.template ]] || continue
  /usr/bin/python3 - "$template" "$out/${name%.template}" <<'PY'
import os, re, sys
source, target = sys.argv[1], sys.argv[2]
text = open(source).read()
missing = sorted({m for m in re.findall(r"\$\{(CAIRN_[A-Z_]+)\}", text) if m not in os.environ})
if missing:
    sys.exit(f"render.sh: {os.path.basename(source)} needs " + ", ".join(missing))
# A value may not end the line early or open a block: nginx would read the rest as directives.
for name in set(re.findall(r"\$\{(CAIRN_[A-Z_]+)\}", text)):
    if re.search(r"[;{}\n\"'\\]", os.environ[name]):
        sys.exit(f"render.sh: {name} may not contain ; {{ }} quotes, a backslash or a line break")
# CAIRN_PACS may list several Orthanc addresses (a scale-out): one "server" line each.
def servers(m):
    return "\n".join(f"{m.group(1)}server {a};" for a in os.environ["CAIRN_PACS"].replace(",", " ").split())
text = re.sub(r"^( *)server \$\{CAIRN_PACS\};$", servers, text, flags=re.M)
open(target, "w").write(re.sub(r"\$\{(CAIRN_[A-Z_]+)\}", lambda m: os.environ[m.group(1)], text))
PY
done
echo "render.sh: wrote $out/cairn.conf (viewer from $CAIRN_VIEWER${CAIRN_AUTH_REQUEST:+, auth_request to $CAIRN_AUTH_REQUEST}) and the files it includes"
