#!/usr/bin/env python3
"""Conformance: Microsoft's own Python SDKs (msgraph-sdk, azure-identity, msal) against `turnover sim`.

Starts the simulator over HTTPS with a fresh self-signed certificate, obtains tokens with a client
secret and with a certificate, and performs reads and writes through the SDKs, asserting on the
models they decode. Any failure exits non-zero with the failing check named.
"""
import argparse
import asyncio
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

import httpx
import msal
import requests
from azure.identity import CertificateCredential, ClientSecretCredential
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.user import User
from msgraph.generated.users.item.assign_license.assign_license_post_request_body import AssignLicensePostRequestBody
from msgraph.generated.groups.groups_request_builder import GroupsRequestBuilder
from msgraph.generated.users.users_request_builder import UsersRequestBuilder
from msgraph_core import GraphClientFactory
from msgraph_core.requests.batch_request_content import BatchRequestContent
from msgraph_core.requests.batch_request_item import BatchRequestItem
from kiota_authentication_azure.azure_identity_authentication_provider import AzureIdentityAuthenticationProvider

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
checks = []


def check(name, condition, detail=""):
    checks.append(name)
    if not condition:
        raise AssertionError(f"FAILED: {name} {detail}")
    print(f"  ok  {name}")


def start_simulator(turnover, workdir):
    cert = os.path.join(workdir, "sim-cert.pem")
    process = subprocess.Popen(
        [turnover, "sim", "--demo", "--port", "0", "--self-signed-tls", "--write-cert", cert, "--self-check"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if "listening on" in line:
            return process, line.split("listening on ")[1].strip(), cert
    process.kill()
    raise RuntimeError("simulator did not start: " + (process.stdout.read() or ""))


def control(base, cert, path, method="GET", body=None):
    context = ssl.create_default_context(cafile=cert)
    request = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, context=context) as response:
        return json.loads(response.read() or b"null")


def graph_client(base, cert, credential):
    http_client = GraphClientFactory.create_with_default_middleware(client=httpx.AsyncClient(verify=cert, trust_env=False))
    adapter = GraphRequestAdapter(AzureIdentityAuthenticationProvider(credential, scopes=[GRAPH_SCOPE]), client=http_client)
    adapter.base_url = base + "/v1.0"
    return GraphServiceClient(request_adapter=adapter)


async def graph_checks(base, cert, tenant, full_app, read_only_app):
    credential = ClientSecretCredential(tenant["tenantId"], full_app["clientId"], full_app["clientSecret"], authority=base,
                                        disable_instance_discovery=True, connection_verify=cert)
    client = graph_client(base, cert, credential)
    domain = tenant["initialDomain"].split(".")[0] + ".com"

    # List with paging: $top=7 and @odata.nextLink followed verbatim by the SDK's with_url.
    config = RequestConfiguration(query_parameters=UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
        top=7, select=["id", "userPrincipalName", "displayName", "accountEnabled"]))
    page = await client.users.get(request_configuration=config)
    users, pages = list(page.value), 1
    while page.odata_next_link:
        page = await client.users.with_url(page.odata_next_link).get()
        users.extend(page.value)
        pages += 1
    check("users list pages with @odata.nextLink", pages > 1 and len(users) >= 40, f"pages={pages} users={len(users)}")
    check("users decode into User models", all(isinstance(u, User) and u.id and u.user_principal_name for u in users))
    check("every user listed once", len({u.id for u in users}) == len(users))
    by_upn = {u.user_principal_name.lower(): u for u in users}

    ben = by_upn[f"ben.carter@{domain}"]
    fetched = await client.users.by_user_id(ben.id).get()
    check("get user by id", fetched.id == ben.id and fetched.display_name == "Ben Carter", fetched.display_name)
    fetched_by_upn = await client.users.by_user_id(f"ben.carter@{domain}").get()
    check("get user by UPN", fetched_by_upn.id == ben.id)

    aaron = by_upn[f"aaron.cole@{domain}"]
    await client.users.by_user_id(aaron.id).patch(User(account_enabled=False, job_title="Leaver"))
    after = await client.users.by_user_id(aaron.id).get(request_configuration=RequestConfiguration(
        query_parameters=UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(select=["accountEnabled", "jobTitle"])))
    check("patch user is visible on read", after.account_enabled is False and after.job_title == "Leaver")

    # assignLicense: remove Visio from Henry (a direct assignment).
    henry = by_upn[f"henry.ito@{domain}"]
    skus = (await client.subscribed_skus.get()).value
    visio = next(s for s in skus if "VISIO" in s.sku_part_number)
    before_units = visio.consumed_units
    result = await client.users.by_user_id(henry.id).assign_license.post(
        AssignLicensePostRequestBody(add_licenses=[], remove_licenses=[visio.sku_id]))
    check("assignLicense returns the user", result.id == henry.id)
    licence_details = (await client.users.by_user_id(henry.id).license_details.get()).value
    check("assignLicense removed the direct licence", all(d.sku_id != visio.sku_id for d in licence_details))
    visio_after = next(s for s in (await client.subscribed_skus.get()).value if s.sku_id == visio.sku_id)
    check("subscribedSkus consumed units drop", visio_after.consumed_units == before_units - 1)

    # Remove a member with $ref from a plain security group.
    daniel = by_upn[f"daniel.evans@{domain}"]
    found = await client.groups.get(request_configuration=RequestConfiguration(
        query_parameters=GroupsRequestBuilder.GroupsRequestBuilderGetQueryParameters(filter="displayName eq 'Finance Approvers'")))
    security = found.value[0]
    check("groups $filter by displayName", len(found.value) == 1 and security.security_enabled and not security.mail_enabled)
    members = (await client.groups.by_group_id(security.id).members.get()).value
    check("group members decode by @odata.type", any(isinstance(m, User) and m.id == daniel.id for m in members))
    await client.groups.by_group_id(security.id).members.by_directory_object_id(daniel.id).ref.delete()
    remaining = (await client.groups.by_group_id(security.id).members.get()).value
    check("remove member $ref", all(m.id != daniel.id for m in remaining) and len(remaining) == len(members) - 1)
    still_there = await client.users.by_user_id(daniel.id).get()
    check("removing a membership does not delete the user", still_there.id == daniel.id)

    # $batch through msgraph-core's BatchRequestContent.
    batch = BatchRequestContent({})
    first = BatchRequestItem(request_information=client.users.by_user_id(ben.id).to_get_request_information())
    second = BatchRequestItem(request_information=client.users.by_user_id("00000000-0000-0000-0000-000000000000").to_get_request_information())
    batch.add_request(first.id, first)
    batch.add_request(second.id, second)
    batch_response = await client.batch.post(batch)
    statuses = {item_id: response.status for item_id, response in batch_response.responses.items()}
    check("$batch answers each item", statuses.get(first.id) == 200 and statuses.get(second.id) == 404,
          str(statuses))
    # The batch's items ran as Graph requests of their own (the request log records each one).
    items = [e for e in control(base, cert, "/_sim/requests") if e.get("batchRequestId")]
    check("$batch items logged as inner requests", {e["status"] for e in items[-2:]} == {200, 404})

    # 404 shape.
    try:
        await client.users.by_user_id("00000000-0000-0000-0000-000000000000").get()
        check("404 raises ODataError", False)
    except ODataError as error:
        check("404 raises ODataError with Request_ResourceNotFound",
              error.response_status_code == 404 and error.error.code == "Request_ResourceNotFound", error.error.code)
        check("404 carries innerError request-id", bool(error.error.inner_error and error.error.inner_error.request_id))

    # 403 for a write with the read-only app.
    read_only = graph_client(base, cert, ClientSecretCredential(
        tenant["tenantId"], read_only_app["clientId"], read_only_app["clientSecret"], authority=base,
        disable_instance_discovery=True, connection_verify=cert))
    listed = await read_only.users.by_user_id(ben.id).get()
    check("read-only app can read", listed.id == ben.id)
    try:
        await read_only.users.by_user_id(ben.id).patch(User(account_enabled=False))
        check("read-only app write is refused", False)
    except ODataError as error:
        check("read-only app write gets 403 Authorization_RequestDenied",
              error.response_status_code == 403 and error.error.code == "Authorization_RequestDenied", error.error.code)
    unchanged = await client.users.by_user_id(ben.id).get(request_configuration=RequestConfiguration(
        query_parameters=UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(select=["accountEnabled"])))
    check("refused write changed nothing", unchanged.account_enabled is True)

    # A wrong secret is refused by the token endpoint.
    bad = graph_client(base, cert, ClientSecretCredential(
        tenant["tenantId"], full_app["clientId"], "wrong-secret", authority=base,
        disable_instance_discovery=True, connection_verify=cert))
    try:
        await bad.users.get()
        check("wrong secret is refused", False)
    except Exception as error:  # azure.core ClientAuthenticationError
        check("wrong secret is refused with AADSTS7000215", "AADSTS7000215" in str(error), str(error)[:200])

    # Certificate credential (azure-identity signs a client assertion with the registered key).
    pem_path = os.path.join(os.path.dirname(cert), "app.pem")
    with open(pem_path, "w") as handle:
        handle.write(full_app["privateKeyPEM"] + "\n" + full_app["certificatePEM"])
    by_certificate = graph_client(base, cert, CertificateCredential(
        tenant["tenantId"], full_app["clientId"], certificate_path=pem_path, authority=base,
        disable_instance_discovery=True, connection_verify=cert))
    me = await by_certificate.users.by_user_id(ben.id).get()
    check("certificate credential (client assertion) gets a working token", me.id == ben.id)


def msal_checks(base, cert, tenant, app):
    session = requests.Session()
    session.verify = cert
    session.trust_env = False  # the machine's REQUESTS_CA_BUNDLE would otherwise override verify
    confidential = msal.ConfidentialClientApplication(
        app["clientId"], client_credential=app["clientSecret"], authority=f"{base}/{tenant['tenantId']}",
        instance_discovery=False, http_client=session)
    result = confidential.acquire_token_for_client(scopes=[GRAPH_SCOPE])
    check("msal secret token", "access_token" in result, json.dumps(result)[:300])
    again = confidential.acquire_token_for_client(scopes=[GRAPH_SCOPE])
    check("msal serves the second token from its cache", again.get("token_source") == "cache")
    response = session.get(f"{base}/v1.0/users?$top=2", headers={"Authorization": "Bearer " + result["access_token"]})
    check("msal token accepted by Graph", response.status_code == 200 and len(response.json()["value"]) == 2)

    exchange = confidential.acquire_token_for_client(scopes=["https://outlook.office365.com/.default"])
    check("msal Exchange token", "access_token" in exchange)
    invoke = session.post(f"{base}/adminapi/beta/{tenant['tenantId']}/InvokeCommand",
                          headers={"Authorization": "Bearer " + exchange["access_token"]},
                          json={"CmdletInput": {"CmdletName": "Get-Mailbox", "Parameters": {"ResultSize": 3}}})
    check("Exchange InvokeCommand with msal token", invoke.status_code == 200 and len(invoke.json()["value"]) >= 1, invoke.text[:300])
    graph_token_at_exchange = session.post(f"{base}/adminapi/beta/{tenant['tenantId']}/InvokeCommand",
                                           headers={"Authorization": "Bearer " + result["access_token"]},
                                           json={"CmdletInput": {"CmdletName": "Get-Mailbox", "Parameters": {}}})
    check("Graph token refused by Exchange (audience)", graph_token_at_exchange.status_code == 401)

    by_certificate = msal.ConfidentialClientApplication(
        app["clientId"], client_credential={"private_key": app["privateKeyPEM"], "thumbprint": app["certificateThumbprintSHA1"]},
        authority=f"{base}/{tenant['tenantId']}", instance_discovery=False, http_client=session)
    cert_result = by_certificate.acquire_token_for_client(scopes=[GRAPH_SCOPE])
    check("msal certificate (client assertion) token", "access_token" in cert_result, json.dumps(cert_result)[:300])
    sharepoint = by_certificate.acquire_token_for_client(scopes=[f"https://{tenant['initialDomain'].split('.')[0]}-my.sharepoint.com/.default"])
    check("msal SharePoint token by certificate", "access_token" in sharepoint, json.dumps(sharepoint)[:300])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--turnover", required=True, help="path to the turnover executable")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        process, base, cert = start_simulator(arguments.turnover, workdir)
        try:
            tenants = control(base, cert, "/_sim/tenants")
            tenant = next(t for t in tenants if t["name"] == "Contoso")
            full_app = next(a for a in tenant["apps"] if "read-only" not in a["displayName"])
            read_only_app = next(a for a in tenant["apps"] if "read-only" in a["displayName"])
            print(f"conformance against {base} (tenant {tenant['tenantId']})")
            msal_checks(base, cert, tenant, full_app)
            asyncio.run(graph_checks(base, cert, tenant, full_app, read_only_app))
            violations = control(base, cert, "/_sim/selfcheck")["violations"]
            check("simulator responses match the Graph schema subset", violations == [], "; ".join(violations[:5]))
        finally:
            process.terminate()
            process.wait(timeout=10)
    print(f"conformance: {len(checks)} checks passed")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as failure:
        print(failure)
        sys.exit(1)
