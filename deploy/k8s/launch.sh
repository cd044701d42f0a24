#!/bin/sh
# Runs the sharded load of deploy/k8s on the cluster kubectl points at:
# sets a shared start time LEAD seconds ahead, starts the Indexed Job, waits
# for it, runs the merge Job and prints its summary. Exit status: the merge's
# (0 all thresholds met, 1 one missed) or 2 when something else went wrong.
#   LEAD=60 TIMEOUT=15m deploy/k8s/launch.sh
set -eu
cd "$(dirname "$0")"
LEAD=${LEAD:-60}
TIMEOUT=${TIMEOUT:-15m}
now=$(date +%s)
START_AT=$(date -u -d "@$((now + LEAD))" +%Y-%m-%dT%H:%M:%SZ)
RUN_ID=run-$(date -u -d "@$now" +%Y%m%dT%H%M%SZ)

kubectl apply -f pvc.yaml -f configmap.yaml
kubectl patch configmap wsprobe-load --type merge \
    -p "{\"data\":{\"START_AT\":\"$START_AT\",\"RUN_ID\":\"$RUN_ID\"}}"
kubectl delete job wsprobe-load wsprobe-merge --ignore-not-found
kubectl apply -f job-load.yaml
echo "launch: $RUN_ID, shards start at $START_AT"
if ! kubectl wait --for=condition=complete --timeout="$TIMEOUT" job/wsprobe-load; then
    kubectl logs --prefix -l app.kubernetes.io/component=load --tail=20 || true
    echo "launch: the load Job did not complete" >&2
    exit 2
fi
kubectl apply -f job-merge.yaml
# The merge Job fails when a threshold is missed: wait for either outcome.
status=2
for _ in $(seq 300); do
    done_=$(kubectl get job wsprobe-merge -o jsonpath='{.status.succeeded}/{.status.failed}')
    case "$done_" in 1/*) status=0; break ;; */1) status=1; break ;; esac
    sleep 1
done
kubectl logs job/wsprobe-merge || status=2
echo "launch: merged report in /reports/$RUN_ID/merged on the wsprobe-reports volume"
exit $status
