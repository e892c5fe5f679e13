#!/usr/bin/env bash
# Install (project-local) and start Azurite's Table, Queue and Blob services on loopback, in memory.
#
# Usage:
#   source .ci/azurite.sh            # start (or reuse) and export the variables into this shell
#   eval "$(.ci/azurite.sh)"         # same, from a subshell: stdout carries only `export …` lines
#   .ci/azurite.sh stop              # stop the processes this script started (PIDs in .azurite/azurite.pids)
#   .ci/azurite.sh status            # which ports answer
#
# Exports AZURE_STORAGE_CONNECTION_STRING (the app's setting) and MICROMENTOR_TEST_TABLES (turns on the
# Table Storage variant of tests/store). Ports: AZURITE_TABLE_PORT (10002), AZURITE_QUEUE_PORT (10001),
# AZURITE_BLOB_PORT (10000; blobs hold the timer singleton's leases, as AzureWebJobsStorage does on Azure).
# Idempotent: a port that already answers is reused, not restarted. Progress goes to stderr.
#
# Azurite is installed with npm into .ci/node (never globally); data lives only in memory, so a restart
# starts empty. Logs: .azurite/table.log, .azurite/queue.log, .azurite/blob.log.

_mm_azurite_root() {
    local here
    here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
    dirname "$here"
}

_mm_azurite_log() { printf 'azurite: %s\n' "$*" >&2; }

_mm_azurite_port_open() {
    # bash's /dev/tcp; `timeout` bounds a connect that would otherwise hang.
    timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

_mm_azurite_is_azurite() {
    # An HTTP probe: Azurite names itself in the Server header. Without curl, trust the open port.
    command -v curl >/dev/null 2>&1 || return 0
    curl -s -m 3 -o /dev/null -D - "http://127.0.0.1:$1/devstoreaccount1" 2>/dev/null | grep -qi '^server: *azurite'
}

_mm_azurite_install() {
    local node_dir="$1"
    # The install folder is a build artefact: keep it out of git without touching the project's .gitignore.
    if [[ -d "$node_dir" && ! -f "$node_dir/.gitignore" ]]; then printf '*\n' >"$node_dir/.gitignore"; fi
    if [[ -x "$node_dir/node_modules/.bin/azurite-table" && -x "$node_dir/node_modules/.bin/azurite-queue" &&
        -x "$node_dir/node_modules/.bin/azurite-blob" ]]; then
        return 0
    fi
    if ! command -v npm >/dev/null 2>&1; then
        _mm_azurite_log "npm not found; install Node.js 18+ first"
        return 1
    fi
    mkdir -p "$node_dir"
    printf '*\n' >"$node_dir/.gitignore"
    _mm_azurite_log "installing azurite@3 into $node_dir"
    npm install --no-audit --no-fund --loglevel=error --prefix "$node_dir" azurite@3 >&2 || return 1
}

_mm_azurite_start_one() {
    # $1 service (table|queue|blob), $2 port, $3 bin dir, $4 state dir
    local service="$1" port="$2" bin="$3" state="$4" pid
    _MM_AZURITE_STARTED_PID=""
    if _mm_azurite_port_open "$port"; then
        if _mm_azurite_is_azurite "$port"; then
            _mm_azurite_log "$service: reusing Azurite already listening on 127.0.0.1:$port"
            return 0
        fi
        _mm_azurite_log "$service: port $port is taken by something that is not Azurite"
        return 1
    fi
    (
        cd "$state" || exit 1
        exec nohup "$bin/azurite-$service" "--${service}Host" 127.0.0.1 "--${service}Port" "$port" \
            --inMemoryPersistence --silent --disableTelemetry --skipApiVersionCheck \
            >"$state/$service.log" 2>&1 </dev/null 9>&-  # not the start lock (fd 9): Azurite outlives it
    ) &
    pid=$!
    _MM_AZURITE_STARTED_PID="$pid"
    printf '%s %s %s\n' "$service" "$pid" "$port" >>"$state/azurite.pids"
    _mm_azurite_log "$service: started pid $pid on 127.0.0.1:$port"
}

_mm_azurite_wait() {
    # $1 port, $2 seconds, $3 pid started for it (empty when reused); bounded poll every 0.2 s.
    local port="$1" tries=$(($2 * 5)) pid="${3:-}"
    while ((tries > 0)); do
        _mm_azurite_port_open "$port" && return 0
        if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
            return 1
        fi
        sleep 0.2
        tries=$((tries - 1))
    done
    return 1
}

_mm_azurite_start_all() {
    # $1 node dir, $2 state dir, $3 table port, $4 queue port, $5 blob port, $6 seconds to wait for each
    local service port
    for service in table queue blob; do
        case $service in
        table) port="$3" ;;
        queue) port="$4" ;;
        blob) port="$5" ;;
        esac
        _mm_azurite_start_one "$service" "$port" "$1/node_modules/.bin" "$2" || return 1
        if ! _mm_azurite_wait "$port" "$6" "$_MM_AZURITE_STARTED_PID"; then
            _mm_azurite_log "$service service did not answer within ${6}s; see $2/$service.log:"
            tail -n 5 "$2/$service.log" >&2 2>/dev/null
            return 1
        fi
    done
}

_mm_azurite_connection_string() {
    # The well-known development account (public, documented by Microsoft; not a secret).
    printf 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=%s;TableEndpoint=http://127.0.0.1:%s/devstoreaccount1;QueueEndpoint=http://127.0.0.1:%s/devstoreaccount1;BlobEndpoint=http://127.0.0.1:%s/devstoreaccount1;' \
        'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==' \
        "$1" "$2" "$3"
}

_mm_azurite_stop() {
    local state="$1" service pid port
    [[ -f "$state/azurite.pids" ]] || { _mm_azurite_log "nothing to stop"; return 0; }
    while read -r service pid port; do
        [[ -n "$pid" ]] || continue
        # Only signal a PID that is still an Azurite process (PIDs get reused).
        if ps -p "$pid" -o args= 2>/dev/null | grep -q azurite; then
            kill "$pid" && _mm_azurite_log "$service: stopped pid $pid (port $port)"
        fi
    done <"$state/azurite.pids"
    rm -f "$state/azurite.pids"
}

_mm_azurite_main() {
    local root node_dir state table_port queue_port blob_port wait_s conn
    root="$(_mm_azurite_root)"
    node_dir="$root/.ci/node"
    state="$root/.azurite"
    table_port="${AZURITE_TABLE_PORT:-10002}"
    queue_port="${AZURITE_QUEUE_PORT:-10001}"
    blob_port="${AZURITE_BLOB_PORT:-10000}"
    wait_s="${AZURITE_WAIT_SECONDS:-30}"
    mkdir -p "$state"

    case "${1:-start}" in
    stop)
        _mm_azurite_stop "$state"
        return $?
        ;;
    status)
        local p
        for p in "$table_port" "$queue_port" "$blob_port"; do
            if _mm_azurite_port_open "$p"; then _mm_azurite_log "127.0.0.1:$p answers"; else _mm_azurite_log "127.0.0.1:$p closed"; fi
        done
        return 0
        ;;
    start | env) ;;
    *)
        _mm_azurite_log "usage: azurite.sh [start|stop|status]"
        return 2
        ;;
    esac

    if [[ "${1:-start}" == start ]]; then
        _mm_azurite_install "$node_dir" || return 1
        if command -v flock >/dev/null 2>&1; then
            # Started twice at once (two pytest workers with MICROMENTOR_TEST_AZURITE=start): one starts
            # the services, the other waits here and then reuses them. In a subshell, so the lock goes
            # with it whatever happens.
            (
                flock -w 300 9 || { _mm_azurite_log "another start holds $state/start.lock"; exit 1; }
                _mm_azurite_start_all "$node_dir" "$state" "$table_port" "$queue_port" "$blob_port" "$wait_s"
            ) 9>"$state/start.lock" || return 1
        else
            _mm_azurite_start_all "$node_dir" "$state" "$table_port" "$queue_port" "$blob_port" "$wait_s" || return 1
        fi
    fi

    conn="$(_mm_azurite_connection_string "$table_port" "$queue_port" "$blob_port")"
    export AZURE_STORAGE_CONNECTION_STRING="$conn"
    export MICROMENTOR_TEST_TABLES="$conn"
    printf "export AZURE_STORAGE_CONNECTION_STRING='%s'\n" "$conn"
    printf "export MICROMENTOR_TEST_TABLES='%s'\n" "$conn"
}

if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
    # Sourced: export into the caller's shell; never `exit` it. Progress on stderr, exports printed quietly.
    _mm_azurite_main "$@" >/dev/null
else
    _mm_azurite_main "$@"
    exit $?
fi
