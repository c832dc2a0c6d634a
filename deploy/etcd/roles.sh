#!/usr/bin/env bash
# Least-privilege etcd identities for cicd: two roles and two users, set up with etcdctl (v3 API).
#
#   cicd-ci      readwrite on the trigger prefixes, read on the status prefix, on <election-root>/<group>/
#                and on <shard-root>/<group>/members/: CI puts triggers and waits for their outcome
#                (`cicd trigger --wait`, which also checks that a runner of the group is alive), nothing else.
#   cicd-runner  read on the trigger prefixes; readwrite on <state-root>/<group>/, <status-prefix>/,
#                <election-root>/<group>/ and <shard-root>/<group>/ for every --group: the runner's
#                checkpoints, fingerprints, status records, leader election and shards (runner.shards).
#                It cannot write a trigger.
#   both         read on the single key "/" (nothing is stored there): the jar's connection check
#                (EtcdClients.connect) reads it, and a refused read there fails the start.
#
# Idempotent: roles and users are created when missing; every wanted permission is granted (a grant
# replaces the type of an existing one); permissions of the two roles that are not wanted any more are
# revoked; passwords are (re)set when given. Every change is printed; passwords never are.
#
# Usage: roles.sh [options] [TRIGGER_PREFIX...]      (default trigger prefixes: /cicd/rollout/ /cicd/undo/)
#
#   --endpoints URLS     etcd client URLs, comma-separated        (or ETCDCTL_ENDPOINTS)
#   --cacert FILE        CA of etcd's server certificate          (or ETCDCTL_CACERT)
#   --cert FILE          client certificate, with --key           (or ETCDCTL_CERT)
#   --key FILE           client key                               (or ETCDCTL_KEY)
#   --user NAME          the administrating user, default root    (or ETCDCTL_USER); its password only
#                        from ETCDCTL_PASSWORD
#   --group NAME         runner group; repeat for several         (default: default)
#   --state-root P       runner.statePrefix                       (default: /cicd/.state)
#   --status-prefix P    runner.statusPrefix                      (default: /cicd/.status)
#   --election-root P    the election root                        (default: /cicd/.election)
#   --shard-root P       the root of sharded groups' keys         (default: /cicd/.shards)
#   --enable-auth        create the root user when missing (password ETCDCTL_PASSWORD), grant it the
#                        root role and enable authentication, after the roles and users are in place
#
# Passwords (environment only, no whitespace: etcdctl reads them from stdin up to the first blank):
#   CICD_CI_PASSWORD      password of user cicd-ci;     required when the user does not exist yet
#   CICD_RUNNER_PASSWORD  password of user cicd-runner; required when the user does not exist yet
set -euo pipefail

CI=cicd-ci
RUNNER=cicd-runner

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}

die() {
    echo "roles.sh: $*" >&2
    exit 2
}

groups=()
triggers=()
state_root=/cicd/.state
status_prefix=/cicd/.status
election_root=/cicd/.election
shard_root=/cicd/.shards
enable_auth=false
while [ $# -gt 0 ]; do
    case "$1" in
        --endpoints) export ETCDCTL_ENDPOINTS="${2:?--endpoints needs a value}"; shift 2 ;;
        --cacert) export ETCDCTL_CACERT="${2:?--cacert needs a file}"; shift 2 ;;
        --cert) export ETCDCTL_CERT="${2:?--cert needs a file}"; shift 2 ;;
        --key) export ETCDCTL_KEY="${2:?--key needs a file}"; shift 2 ;;
        --user) export ETCDCTL_USER="${2:?--user needs a name}"; shift 2 ;;
        --group) groups+=("${2:?--group needs a name}"); shift 2 ;;
        --state-root) state_root="${2:?--state-root needs a prefix}"; shift 2 ;;
        --status-prefix) status_prefix="${2:?--status-prefix needs a prefix}"; shift 2 ;;
        --election-root) election_root="${2:?--election-root needs a prefix}"; shift 2 ;;
        --shard-root) shard_root="${2:?--shard-root needs a prefix}"; shift 2 ;;
        --enable-auth) enable_auth=true; shift ;;
        -h | --help) usage; exit 0 ;;
        --) shift; triggers+=("$@"); break ;;
        -*) die "unknown option $1 (see --help)" ;;
        *) triggers+=("$1"); shift ;;
    esac
done
[ ${#groups[@]} -gt 0 ] || groups=(default)
[ ${#triggers[@]} -gt 0 ] || triggers=(/cicd/rollout/ /cicd/undo/)
export ETCDCTL_API=3
export ETCDCTL_USER="${ETCDCTL_USER:-root}"
case "$ETCDCTL_USER" in
    *:*) die "give the administrating user's password in ETCDCTL_PASSWORD, not in the user name" ;;
esac
[ -n "${ETCDCTL_PASSWORD:-}" ] || die "ETCDCTL_PASSWORD (the password of $ETCDCTL_USER) is not set"
command -v etcdctl >/dev/null || die "etcdctl not found on PATH"

# A directory prefix: starts with '/', ends with exactly one '/', not '/' itself.
dir() {
    local p="$1" what="$2"
    [[ "$p" == /* ]] || die "$what '$p' must start with '/'"
    while [[ "$p" == */ && "$p" != / ]]; do p="${p%/}"; done
    [ "$p" != / ] || die "$what must name a directory below '/' (it would cover every key)"
    printf '%s/' "$p"
}

state_root=$(dir "$state_root" "state root")
status_prefix=$(dir "$status_prefix" "status prefix")
election_root=$(dir "$election_root" "election root")
shard_root=$(dir "$shard_root" "shard root")
for i in "${!groups[@]}"; do
    [[ "${groups[$i]}" =~ ^[A-Za-z0-9._-]+$ ]] || die "group '${groups[$i]}' must be [A-Za-z0-9._-]+"
done
runner_dirs=("$status_prefix")
for g in "${groups[@]}"; do
    runner_dirs+=("$state_root$g/" "$election_root$g/" "$shard_root$g/")
done
for i in "${!triggers[@]}"; do
    t=$(dir "${triggers[$i]}" "trigger prefix")
    triggers[$i]="$t"
    # CI may write below a trigger prefix: it must not contain (or lie inside) the runner's keys
    for r in "$state_root" "$status_prefix" "$election_root" "$shard_root"; do
        if [[ "$r" == "$t"* || "$t" == "$r"* ]]; then
            die "trigger prefix $t overlaps the runner's $r: CI could write the runner's state"
        fi
    done
done

password() {
    local var="$1" value="${!1:-}"
    if [[ "$value" =~ [[:space:]] ]]; then
        die "$var contains whitespace; etcdctl would cut the password at it"
    fi
    printf '%s' "$value"
}
ci_password=$(password CICD_CI_PASSWORD)
runner_password=$(password CICD_RUNNER_PASSWORD)

errors=$(mktemp)
trap 'rm -f "$errors"' EXIT
# etcdctl, its stderr without the client's retry warnings (printed before the error itself)
ctl() {
    local rc=0
    etcdctl "$@" 2>"$errors" || rc=$?
    grep -v 'retrying of unary invoker failed' "$errors" >&2 || true
    return $rc
}

exists() { # exists user|role NAME
    etcdctl "$1" get "$2" >/dev/null 2>&1
}

# Permissions currently granted to a role, one per line: SPEC<TAB>TYPE, SPEC being
# "prefix<TAB>P", "key<TAB>K", "range<TAB>A<TAB>B" or "from<TAB>A", TYPE read/write/readwrite.
current_permissions() {
    local section="" line spec
    declare -A seen=()
    local order=()
    while IFS= read -r line; do
        case "$line" in
            "KV Read:") section=read; continue ;;
            "KV Write:") section=write; continue ;;
            $'\t'*) ;;
            *) continue ;;
        esac
        line="${line#$'\t'}"
        if [[ "$line" =~ ^\[(.+),\ \<open\ ended\>$ ]]; then
            spec="from"$'\t'"${BASH_REMATCH[1]}"
        elif [[ "$line" =~ ^\[(.+),\ (.+)\)\ \(prefix\ (.+)\)$ ]]; then
            spec="prefix"$'\t'"${BASH_REMATCH[3]}"
        elif [[ "$line" =~ ^\[(.+),\ (.+)\)$ ]]; then
            spec="range"$'\t'"${BASH_REMATCH[1]}"$'\t'"${BASH_REMATCH[2]}"
        else
            spec="key"$'\t'"$line"
        fi
        if [ -z "${seen[$spec]:-}" ]; then
            order+=("$spec")
            seen[$spec]=$section
        elif [ "${seen[$spec]}" != "$section" ]; then
            seen[$spec]=readwrite
        fi
    done < <(ctl role get "$1")
    for spec in "${order[@]+"${order[@]}"}"; do
        printf '%s\t%s\n' "$spec" "${seen[$spec]}"
    done
}

# ensure_role NAME PERM... with PERM = "TYPE prefix P" or "TYPE key K"
ensure_role() {
    local role="$1"
    shift
    if exists role "$role"; then
        echo "role $role: exists"
    else
        ctl role add "$role" >/dev/null
        echo "role $role: created"
    fi
    declare -A want=()
    local p type kind key
    for p in "$@"; do
        read -r type kind key <<<"$p"
        want["$kind"$'\t'"$key"]=$type
    done
    local have_line spec have_type
    declare -A have=()
    while IFS= read -r have_line; do
        have_type="${have_line##*$'\t'}"
        spec="${have_line%$'\t'*}"
        have[$spec]=$have_type
        if [ -z "${want[$spec]:-}" ]; then
            IFS=$'\t' read -r kind key p <<<"$spec"
            case "$kind" in
                prefix) ctl role revoke-permission "$role" "$key" --prefix >/dev/null ;;
                key) ctl role revoke-permission "$role" "$key" >/dev/null ;;
                range) ctl role revoke-permission "$role" "$key" "$p" >/dev/null ;;
                from) ctl role revoke-permission "$role" "$key" --from-key >/dev/null ;;
            esac
            echo "role $role: revoked $have_type $kind ${key}${p:+ .. $p} (not wanted)"
        fi
    done < <(current_permissions "$role")
    for p in "$@"; do
        read -r type kind key <<<"$p"
        spec="$kind"$'\t'"$key"
        if [ "${have[$spec]:-}" = "$type" ]; then
            echo "role $role: has $type $kind $key"
            continue
        fi
        if [ "$kind" = prefix ]; then
            ctl role grant-permission "$role" "$type" "$key" --prefix >/dev/null
        else
            ctl role grant-permission "$role" "$type" "$key" >/dev/null
        fi
        echo "role $role: granted $type $kind $key${have[$spec]:+ (was ${have[$spec]})}"
    done
}

# ensure_user NAME ROLE PASSWORD_VAR PASSWORD
ensure_user() {
    local user="$1" role="$2" var="$3" pw="$4"
    if exists user "$user"; then
        if [ -n "$pw" ]; then
            printf '%s\n' "$pw" | ctl user passwd "$user" --interactive=false >/dev/null
            echo "user $user: exists, password set from $var"
        else
            echo "user $user: exists, password unchanged ($var not set)"
        fi
    else
        [ -n "$pw" ] || die "user $user does not exist; set $var to create it"
        printf '%s\n' "$pw" | ctl user add "$user" --interactive=false >/dev/null
        echo "user $user: created, password from $var"
    fi
    if ctl user get "$user" | grep -qx "Roles:.* $role\( .*\)\{0,1\}"; then
        echo "user $user: has role $role"
    else
        ctl user grant-role "$user" "$role" >/dev/null
        echo "user $user: granted role $role"
    fi
    local others
    others=$(ctl user get "$user" | sed -n 's/^Roles://p' | tr ' ' '\n' | grep -v -x -e '' -e "$role" || true)
    if [ -n "$others" ]; then
        echo "user $user: WARNING also has role(s) $(echo $others) - revoke them for least privilege" >&2
    fi
}

echo "etcd ${ETCDCTL_ENDPOINTS:-127.0.0.1:2379} as $ETCDCTL_USER; trigger prefixes ${triggers[*]}; groups ${groups[*]}"
if ! ctl role list >/dev/null; then
    die "cannot administer etcd at ${ETCDCTL_ENDPOINTS:-127.0.0.1:2379} as $ETCDCTL_USER (endpoint, TLS files or password wrong?)"
fi

if $enable_auth && ! exists user root; then
    printf '%s\n' "$ETCDCTL_PASSWORD" | ctl user add root --interactive=false >/dev/null
    echo "user root: created, password from ETCDCTL_PASSWORD"
fi

ci_perms=("read key /")
runner_perms=("read key /")
for t in "${triggers[@]}"; do
    ci_perms+=("readwrite prefix $t")
    runner_perms+=("read prefix $t")
done
ci_perms+=("read prefix $status_prefix")
for g in "${groups[@]}"; do
    ci_perms+=("read prefix $election_root$g/")   # trigger --wait: is a runner of the group alive?
    ci_perms+=("read prefix $shard_root$g/members/")   # ... or, of a sharded group, a member?
done
for r in "${runner_dirs[@]}"; do
    runner_perms+=("readwrite prefix $r")
done

ensure_role "$CI" "${ci_perms[@]}"
ensure_role "$RUNNER" "${runner_perms[@]}"
ensure_user "$CI" "$CI" CICD_CI_PASSWORD "$ci_password"
ensure_user "$RUNNER" "$RUNNER" CICD_RUNNER_PASSWORD "$runner_password"

if $enable_auth; then
    if ctl user get root | grep -qx "Roles:.* root\( .*\)\{0,1\}"; then
        echo "user root: has role root"
    else
        ctl user grant-role root root >/dev/null
        echo "user root: granted role root"
    fi
    ctl auth enable >/dev/null
    echo "auth: enabled"
fi

for role in "$CI" "$RUNNER"; do
    ctl role get "$role"
done
