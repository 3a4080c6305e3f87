#!/usr/bin/env bash
# Deploys an FMI rank function to Cloud Functions (1st gen, HTTP trigger) and the bucket it uses.
# Run from the directory of your function (package.json + index.js that calls functions.http(...)).
# Usage: PROJECT=my-project REGION=us-central1 BUCKET=my-fmi-scratch ./deploy.sh
set -euo pipefail
: "${PROJECT:?set PROJECT}" "${REGION:=us-central1}" "${BUCKET:?set BUCKET}" "${FUNCTION:=fmi-rank}"
HERE="$(cd "$(dirname "$0")" && pwd)"

# The bucket: same region as the functions (no egress charges, lowest latency); objects of
# crashed jobs are deleted after a day by the lifecycle rule (GCS has no per-object TTL).
gcloud storage buckets create "gs://${BUCKET}" --project "${PROJECT}" --location "${REGION}" --uniform-bucket-level-access || true
gcloud storage buckets update "gs://${BUCKET}" --lifecycle-file "${HERE}/lifecycle.json"

# The function. --max-instances must be at least the largest job (all ranks run at once).
gcloud functions deploy "${FUNCTION}" --no-gen2 --project "${PROJECT}" --region "${REGION}" \
  --runtime nodejs20 --trigger-http --no-allow-unauthenticated --entry-point "${FUNCTION}" \
  --memory 2048MB --timeout 540s --max-instances 100 \
  --set-env-vars "FMI_GCS_BUCKET=${BUCKET}"

# The function's service account needs object read/write/delete/list on the bucket.
SA="$(gcloud functions describe "${FUNCTION}" --no-gen2 --project "${PROJECT}" --region "${REGION}" --format 'value(serviceAccountEmail)')"
gcloud storage buckets add-iam-policy-binding "gs://${BUCKET}" --member "serviceAccount:${SA}" --role roles/storage.objectAdmin
echo "URL: https://${REGION}-${PROJECT}.cloudfunctions.net/${FUNCTION}"
