#!/bin/sh
# Runs the sharded load of deploy/k8s on the cluster kubectl points at:
# sets a shared start time LEAD seconds ahead, starts the Indexed Job, waits
# for it, runs the merge Job and prints its summary. Exit status: the merge's
# (0 all thresholds met, 1 one missed) or 2 when something else went wrong
# (the load Job failed or did not finish within TIMEOUT).
#   LEAD=60 TIMEOUT=15m deploy/k8s/launch.sh
set -eu
cd "$(dirname "$0")"
LEAD=${LEAD:-60}
TIMEOUT=${TIMEOUT:-15m}
POLL=${POLL:-5} # seconds between looks at a Job
now=$(date +%s)
START_AT=$(date -u -d "@$((now + LEAD))" +%Y-%m-%dT%H:%M:%SZ)
RUN_ID=run-$(date -u -d "@$now" +%Y%m%dT%H%M%SZ)

seconds() { # 90, 90s, 15m, 1h -> seconds
    case "$1" in
    *h) echo $((${1%h} * 3600)) ;;
    *m) echo $((${1%m} * 60)) ;;
    *s) echo "${1%s}" ;;
    *) echo "$1" ;;
    esac
}

# Waits for a Job to finish: 0 when every completion succeeded, 1 when it
# failed (a pod failed: backoffLimit is 0, or a condition Failed), 2 after
# TIMEOUT. It polls the Job's counts: `kubectl wait --for=condition=complete`
# would sit out the whole TIMEOUT when the Job fails.
wait_job() {
    deadline=$(($(date +%s) + $(seconds "$TIMEOUT")))
    while [ "$(date +%s)" -lt "$deadline" ]; do
        st=$(kubectl get job "$1" -o \
            jsonpath='{.status.succeeded}/{.status.failed}/{.spec.completions}/{.status.conditions[?(@.type=="Failed")].status}') ||
            return 2
        IFS=/ read -r ok bad want failed <<END
$st
END
        [ "${bad:-0}" -gt 0 ] || [ "$failed" = True ] && return 1
        [ "${ok:-0}" -ge "${want:-1}" ] && return 0
        sleep "$POLL"
    done
    return 2
}

kubectl apply -f pvc.yaml -f configmap.yaml
kubectl patch configmap wsprobe-load --type merge \
    -p "{\"data\":{\"START_AT\":\"$START_AT\",\"RUN_ID\":\"$RUN_ID\"}}"
kubectl delete job wsprobe-load wsprobe-merge --ignore-not-found
kubectl apply -f job-load.yaml
echo "launch: $RUN_ID, shards start at $START_AT"
rc=0
wait_job wsprobe-load || rc=$?
if [ "$rc" -ne 0 ]; then
    kubectl logs --prefix -l app.kubernetes.io/component=load --tail=20 || true
    [ "$rc" -eq 1 ] && echo "launch: the load Job failed" >&2
    [ "$rc" -eq 2 ] && echo "launch: the load Job did not finish within $TIMEOUT" >&2
    exit 2
fi
kubectl apply -f job-merge.yaml
# The merge Job fails when a threshold is missed: that is exit status 1.
status=0
wait_job wsprobe-merge || status=$?
kubectl logs job/wsprobe-merge || status=2
echo "launch: merged report in /reports/$RUN_ID/merged on the wsprobe-reports volume"
exit $status
