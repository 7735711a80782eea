# bench_webhook.sh — scripts/bench --webhook: alert latency without and with webhooks.
#
# Sourced by scripts/bench after its helpers are defined (fresh_db, start_services, replay,
# stop_services, stat_of, make_events, start_kafka/stop_kafka); runs the latency phase once per
# webhook mode on the same events and rules, prints the figures side by side and exits.
# dead: a local endpoint that accepts connections and never answers (wf-bench http-sink) plus
# an unroutable address, both with a 30 s timeout; live: a local endpoint answering 200.

sink_pid=
start_sink() { # start_sink MODE: starts wf-bench http-sink, sets sink_port
    rm -f "$work/sink.port"
    "$bin/tools/wf-bench" http-sink --mode "$1" --port-file "$work/sink.port" \
        >"$work/log/sink-$1.log" 2>&1 &
    sink_pid=$!
    for _ in $(seq 1 100); do [ -s "$work/sink.port" ] && break; sleep 0.05; done
    sink_port=$(cat "$work/sink.port")
}
stop_sink() {
    [ -z "$sink_pid" ] || { kill -TERM "$sink_pid" 2>/dev/null; wait "$sink_pid" 2>/dev/null || true; }
    sink_pid=
}
trap 'stop_probe; stop_services; stop_kafka; stop_sink' EXIT INT TERM

rules=$work/rules-webhook.yaml
{
    cat deploy/rules.yaml
    cat <<'YAML'

  - id: bench_every_event
    description: scripts/bench --webhook adds one alert per event, so every event is a POST
    on: event
    kinds: ["*"]
    severity: minor
    title: "{kind} in beat {beat}"
    throttle: {key: event, window: 1h}
YAML
} >"$rules"

modes=(none)
case $webhook in dead) modes+=(dead) ;; live) modes+=(live) ;; all) modes+=(dead live) ;; esac
echo "bench: preparing $latency_events events"
make_events "$latency_events" "$work/latency.csv"

declare -A fig
outcomes=
for rate in $rates; do
figures=(latency_us.p50 latency_us.p99 alert_latency_us.p50 alert_latency_us.p99
    webhook_enqueue_us.p50 webhook_enqueue_us.p99 webhook_enqueue_us.max alerts_raised
    webhook_sent webhook_failed webhook_dropped_queue_full webhook_queued)
for transport in $transports; do
    transport_yaml="transport:
  backend: zmq"
    for mode in "${modes[@]}"; do
        [ "$transport" = kafka ] && start_kafka # fresh topics for every phase
        sets=()
        case $mode in
            dead)
                start_sink dead
                sets=(--set "alert.webhook.urls=http://127.0.0.1:$sink_port/dead,http://10.255.255.1:9/unroutable"
                    --set alert.webhook.timeout=30s) ;;
            live)
                start_sink live
                sets=(--set "alert.webhook.urls=http://127.0.0.1:$sink_port/live") ;;
        esac
        echo "bench: $transport: latency at $rate/s offered, webhooks: $mode"
        fresh_db
        start_services "${sets[@]}"
        start_console # and an SSE client: the latency a dispatch console sees
        replay "$work/latency.csv" "$rate" "$latency_events" >/dev/null
        sleep 2 # the live endpoint catches up; the stats snapshot is written every second
        stop_probe
        for f in "${figures[@]}"; do fig[$transport-$mode-$f]=$(stat_of alert "$f"); done
        fig[$transport-$mode-sse.p50]=$(sse_figure alert p50_us)
        fig[$transport-$mode-sse.p99]=$(sse_figure alert p99_us)
        fig[$transport-$mode-sse.count]=$(sse_figure alert count)
        stop_services "$transport-webhook-$mode" # the webhook thread records the rest on SIGTERM
        stop_sink
        [ "$mode" = none ] || outcomes+="  $transport/$mode, webhook_deliveries per endpoint:
$(wf_pg__layout && wf_pg__psql -d "$db" -X -A -t -F ' ' -c "SELECT '    ' || endpoint, status,
    count(*), 'max attempts ' || max(attempts), coalesce(left(min(last_error), 60), '')
    FROM webhook_deliveries GROUP BY endpoint, status ORDER BY 1, 2")
"
        [ "$transport" = kafka ] && stop_kafka
    done
done

echo
echo "Watchfloor webhook benchmark — $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)," \
    "$latency_events events at $rate/s"
printf '  %-40s' ""
for t in $transports; do for m in "${modes[@]}"; do printf ' %14s' "$t/$m"; done; done
echo
wrow() { # wrow LABEL FIGURE SCALE FORMAT
    printf '  %-40s' "$1"
    for t in $transports; do
        for m in "${modes[@]}"; do
            printf ' %14s' "$(printf "$4" "$(echo "${fig[$t-$m-$2]} / $3" | bc -l)")"
        done
    done
    echo
}
wrow "ingest→alert receipt p50 (ms)" latency_us.p50 1000 '%.2f'
wrow "ingest→alert receipt p99 (ms)" latency_us.p99 1000 '%.2f'
wrow "ingest→alert raised p50 (ms)" alert_latency_us.p50 1000 '%.2f'
wrow "ingest→alert raised p99 (ms)" alert_latency_us.p99 1000 '%.2f'
wrow "ingest→alert on console SSE p50 (ms)" sse.p50 1000 '%.2f'
wrow "ingest→alert on console SSE p99 (ms)" sse.p99 1000 '%.2f'
wrow "alerts read by the SSE client" sse.count 1 '%.0f'
wrow "alert loop enqueue per alert p50 (µs)" webhook_enqueue_us.p50 1 '%.0f'
wrow "alert loop enqueue per alert p99 (µs)" webhook_enqueue_us.p99 1 '%.0f'
wrow "alert loop enqueue per alert max (µs)" webhook_enqueue_us.max 1 '%.0f'
wrow "alerts raised" alerts_raised 1 '%.0f'
wrow "webhook deliveries sent (2xx)" webhook_sent 1 '%.0f'
wrow "webhook deliveries failed" webhook_failed 1 '%.0f'
wrow "webhook dropped, queue full" webhook_dropped_queue_full 1 '%.0f'
wrow "webhook queued or in flight at the end" webhook_queued 1 '%.0f'
echo "  dead = a 127.0.0.1 endpoint that never answers + http://10.255.255.1:9 (30 s timeout)"
printf '%s' "$outcomes"
outcomes=
done
echo "  logs and counters: $work/<transport>-webhook-<mode>/"
exit 0
