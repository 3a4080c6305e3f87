#!/usr/bin/env bash
# Creates the storage account, container and Function App (Consumption plan, Node 20) for FMI ranks,
# then publishes the app in the current directory (an Azure Functions v4 Node project whose code
# calls app.http('fmi-rank', { handler: fmiAzureHandler(...) })).
# Usage: RG=fmi APP=my-fmi-app STORAGE=myfmistorage LOCATION=westeurope ./deploy.sh
set -euo pipefail
: "${RG:?set RG}" "${APP:?set APP}" "${STORAGE:?set STORAGE}" "${LOCATION:=westeurope}" "${CONTAINER:=fmi}"
HERE="$(cd "$(dirname "$0")" && pwd)"

az group create --name "$RG" --location "$LOCATION"
az storage account create --name "$STORAGE" --resource-group "$RG" --location "$LOCATION" --sku Standard_LRS --kind StorageV2 --access-tier Hot
CONN="$(az storage account show-connection-string --name "$STORAGE" --resource-group "$RG" --query connectionString -o tsv)"
az storage container create --name "$CONTAINER" --connection-string "$CONN"
# Blobs of crashed jobs go after a day (Blob Storage has no per-blob TTL). prefixMatch is container/prefix.
sed "s#fmi/fmi/#${CONTAINER}/fmi/#" "${HERE}/lifecycle-policy.json" > /tmp/fmi-lifecycle.json
az storage account management-policy create --account-name "$STORAGE" --resource-group "$RG" --policy @/tmp/fmi-lifecycle.json

az functionapp create --name "$APP" --resource-group "$RG" --storage-account "$STORAGE" \
  --consumption-plan-location "$LOCATION" --runtime node --runtime-version 20 --functions-version 4
# All ranks of a job run at once: allow at least as many instances as the largest job.
az resource update --resource-type Microsoft.Web/sites -g "$RG" -n "$APP/config/web" --set properties.functionAppScaleLimit=100
az functionapp config appsettings set --name "$APP" --resource-group "$RG" \
  --settings "FMI_AZURE_CONTAINER=${CONTAINER}" "AZURE_STORAGE_CONNECTION_STRING=${CONN}"
func azure functionapp publish "$APP"
echo "Base URL: https://${APP}.azurewebsites.net/api/   (function key: az functionapp keys list -g $RG -n $APP)"
