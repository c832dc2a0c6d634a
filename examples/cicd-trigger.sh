#!/bin/sh
# cicd-trigger.sh: put a trigger through etcd's v3 JSON gateway and wait for its outcome.
# Needs only sh, curl and base64 (no jq, no etcdctl, no Java).
#
#   cicd-trigger.sh [-e URL] [-s STATUS_PREFIX] [-t SECONDS] [-u USER:PASSWORD] KEY JSON
#
#   -e URL      etcd client URL (default: $CICD_ETCD_ENDPOINT or http://127.0.0.1:2379); etcd >= 3.4 (/v3/...)
#   -s PREFIX   the runners' runner.statusPrefix (default: /cicd/.status)
#   -t SECONDS  how long to wait for the outcome (default: 300); 0 = put only, do not wait
#   -u U:P      etcd user and password (a token is fetched from /v3/auth/authenticate); or, kept off the
#               command line, CICD_ETCD_USER and CICD_ETCD_PASSWORD
#
# Prints "put KEY at revision R", each in-progress line of the runner, then the outcome line.
# Exit codes (those of `cicd trigger --wait`): 0 applied or in-sync, 2 rejected or bad usage, 3 failed,
# 4 timed out, 5 infrastructure (etcd unreachable, refused, bad answer), 6 superseded.
set -u

endpoint=${CICD_ETCD_ENDPOINT:-http://127.0.0.1:2379}
status_prefix=/cicd/.status
timeout=300
auth=
if [ -n "${CICD_ETCD_USER:-}" ]; then
    auth="$CICD_ETCD_USER:${CICD_ETCD_PASSWORD:-}"
fi

usage() { echo "usage: $0 [-e URL] [-s STATUS_PREFIX] [-t SECONDS] [-u USER:PASSWORD] KEY JSON" >&2; exit 2; }

while getopts e:s:t:u:h opt; do
    case $opt in
        e) endpoint=$OPTARG ;;
        s) status_prefix=$OPTARG ;;
        t) timeout=$OPTARG ;;
        u) auth=$OPTARG ;;
        *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -eq 2 ] || usage
key=$1
value=$2
case $timeout in ''|*[!0-9]*) echo "cicd-trigger: -t must be whole seconds, was '$timeout'" >&2; exit 2 ;; esac
case $key in /*) ;; *) echo "cicd-trigger: KEY must start with /, was '$key'" >&2; exit 2 ;; esac
command -v curl >/dev/null 2>&1 || { echo "cicd-trigger: curl is not installed" >&2; exit 5; }
endpoint=${endpoint%/}
status_prefix=${status_prefix%/}

b64() { printf '%s' "$1" | base64 | tr -d '\n'; }
unb64() { printf '%s' "$1" | base64 -d 2>/dev/null; }
# The string value of a top-level JSON field in $2 (first match; enough for etcd's flat answers).
field() { printf '%s' "$2" | sed -n 's/.*"'"$1"'" *: *"\([^"]*\)".*/\1/p' | head -n 1; }
infra() { echo "cicd-trigger: $*" >&2; exit 5; }

token=
# POST $1 with body $2 into $answer; exit 5 when etcd cannot be reached or answers an error.
call() {
    if [ -n "$token" ]; then
        answer=$(curl -sS --max-time 10 -H "Authorization: $token" -X POST -d "$2" "$endpoint$1" 2>&1) \
            || infra "etcd at $endpoint did not answer $1: $answer"
    else
        answer=$(curl -sS --max-time 10 -X POST -d "$2" "$endpoint$1" 2>&1) \
            || infra "etcd at $endpoint did not answer $1: $answer"
    fi
    case $answer in
        *'"error"'*|*'"code"'*) infra "etcd at $endpoint refused $1: $answer" ;;
        '{'*) ;;
        *) infra "etcd at $endpoint gave no JSON for $1 (etcd 3.4 or newer serves /v3/...): $answer" ;;
    esac
}

if [ -n "$auth" ]; then
    user=${auth%%:*}
    password=${auth#*:}
    call /v3/auth/authenticate "{\"name\":\"$user\",\"password\":\"$password\"}"
    token=$(field token "$answer")
    [ -n "$token" ] || infra "etcd at $endpoint gave no token for user $user"
fi

call /v3/kv/put "{\"key\":\"$(b64 "$key")\",\"value\":\"$(b64 "$value")\"}"
revision=$(field revision "$answer")
case $revision in ''|*[!0-9]*) infra "etcd at $endpoint gave no revision for the put: $answer" ;; esac
echo "put $key at revision $revision"
[ "$timeout" -gt 0 ] || exit 0

# the record of exactly this put: <statusPrefix>/<watch>/<revision>, any watch
range_start=$(b64 "$status_prefix/")
range_end=$(b64 "${status_prefix}0")
deadline=$(( $(date +%s) + timeout ))
last=
while :; do
    call /v3/kv/range "{\"key\":\"$range_start\",\"range_end\":\"$range_end\"}"
    # one kv per line: {"key":"..","create_revision":..,"value":".."}
    for kv in $(printf '%s' "$answer" | sed 's/},{/}\n{/g' | grep -o '"key":"[^"]*"[^}]*"value":"[^"]*"' | tr -d ' '); do
        k=$(unb64 "$(field key "{$kv}")")
        case $k in "$status_prefix"/*/"$revision") ;; *) continue ;; esac
        record=$(unb64 "$(field value "{$kv}")")
        [ "$(field key "$record")" = "$key" ] || continue
        outcome=$(field outcome "$record")
        case $outcome in
            in-progress)
                line="in-progress: $(field step "$record"): $(field detail "$record") (runner $(field runnerId "$record"))"
                [ "$line" = "$last" ] || echo "$line"
                last=$line
                continue ;;
        esac
        reason=$(field reason "$record")
        echo "$outcome by watch $(field watch "$record") (runner $(field runnerId "$record"))${reason:+: $reason}"
        case $outcome in
            applied|in-sync) exit 0 ;;
            rejected) exit 2 ;;
            failed) exit 3 ;;
            superseded) exit 6 ;;
            *) infra "unknown outcome '$outcome' in $k" ;;
        esac
    done
    [ "$(date +%s)" -lt "$deadline" ] || { echo "timed out: no outcome for revision $revision within ${timeout}s" >&2; exit 4; }
    sleep 1
done
