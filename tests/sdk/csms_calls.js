// The official Huawei Cloud Node.js SDK core (@huaweicloud/huaweicloud-sdk-core, AK/SK signing,
// its HTTP client and its error handling) making the CSMS secret-event calls against herald-server,
// with the request options the SDK's CsmsClient builds. Prints one JSON line per call.
//   node csms_calls.js ENDPOINT AK SK PROJECT_ID
const core = require("@huaweicloud/huaweicloud-sdk-core");
const {ClientBuilder} = require("@huaweicloud/huaweicloud-sdk-core/ClientBuilder");

const [endpoint, ak, sk, projectId] = process.argv.slice(2);
const credentials = new core.BasicCredentials().withAk(ak).withSk(sk).withProjectId(projectId);
const client = new ClientBuilder((hc) => hc).withCredential(credentials)
    .withEndpoint(endpoint).build();

function options(method, url, pathParams, queryParams, data) {
  const o = {method, url, contentType: "application/json;charset=UTF-8", queryParams,
             pathParams, headers: {}, data};
  if (data === undefined) delete o.data;
  return o;
}

async function call(name, o) {
  try {
    const result = await client.sendRequest(o);
    console.log(JSON.stringify({call: name, ok: true, status: result.httpStatusCode, result}));
  } catch (e) {
    console.log(JSON.stringify({call: name, ok: false, status: e.httpStatusCode,
                                errorCode: e.errorCode, errorMsg: e.errorMsg,
                                requestId: e.requestId}));
  }
}

(async () => {
  const seed = {name: "sdk-event", event_types: ["SECRET_VERSION_CREATED", "SECRET_VERSION_EXPIRED"],
                state: "ENABLED",
                notification: {target_type: "SMN",
                               target_id: `urn:smn:region-1:${projectId}:sdk-topic`,
                               target_name: "sdk-topic"}};
  await call("CreateSecretEvent", options("POST", "/v1/{project_id}/csms/events", {}, {}, seed));
  await call("CreateSecretEvent again", options("POST", "/v1/{project_id}/csms/events", {}, {}, seed));
  await call("ShowSecretEvent", options("GET", "/v1/{project_id}/csms/events/{event_name}",
                                        {event_name: "sdk-event"}, {}));
  await call("ListSecretEvents", options("GET", "/v1/{project_id}/csms/events", {},
                                         {limit: "1"}));
  await call("UpdateSecretEvent", options("PUT", "/v1/{project_id}/csms/events/{event_name}",
                                          {event_name: "sdk-event"}, {}, {state: "DISABLED"}));
  await call("ShowSecretEvent missing", options("GET", "/v1/{project_id}/csms/events/{event_name}",
                                                {event_name: "no-such-event"}, {}));
  await call("ListNotificationRecords",
             options("GET", "/v1/{project_id}/csms/notification-records", {}, {}));
  await call("DeleteSecretEvent", options("DELETE", "/v1/{project_id}/csms/events/{event_name}",
                                          {event_name: "sdk-event"}, {}));
})();
