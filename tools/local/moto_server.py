"""Runs moto's server with DynamoDB transactions made atomic and cheap, as DynamoDB's are, and
with the user pool's pre-token-generation trigger run as Cognito runs it.

moto's TransactWriteItems (5.2.5) snapshots every table it touches with a deep copy and, when a
condition fails, puts the whole snapshot back. Under concurrent requests that undoes writes
other requests committed in between (50 concurrent orders oversold the last 10 units), and the
copy costs time in proportion to the table (200 ms per transaction at 3,000 items). So:

1. DynamoDB requests are handled one at a time (every other service stays concurrent, so SQS long
   polling is unaffected), which also makes a conditional write's check and write one step.
2. A transaction snapshots only the items it touches and, if it fails, puts those back; the
   whole-table copy becomes a no-op.

moto (5.2.5) runs no Cognito triggers. So:

3. When it issues tokens, it invokes the user pool's pre-token-generation (V2) trigger through the
   local stack's Lambda endpoint, and applies its answer to the tokens.
"""

import copy
import json
import os
import sys
import threading
import urllib.parse
import urllib.request

import moto.dynamodb.models as dynamodb_models
from joserfc import jwt as joserfc_jwt  # moto's own JWT library
from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPool
from moto.core.exceptions import JsonRESTError
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler
from moto.server import main

# 1. one DynamoDB request at a time
_dynamodb_lock = threading.Lock()
_call_action = DynamoHandler.call_action


def _serialised_call_action(self):  # type: ignore[no-untyped-def]
    with _dynamodb_lock:
        return _call_action(self)


DynamoHandler.call_action = _serialised_call_action  # type: ignore[method-assign]


# 2. transactions snapshot the items they touch, not whole tables
class _CopyKeepingTables:
    """The `copy` module as moto.dynamodb.models sees it: a Table is not copied, anything else is."""

    def __getattr__(self, name):  # type: ignore[no-untyped-def]
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value, memo=None):  # type: ignore[no-untyped-def]
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


dynamodb_models.copy = _CopyKeepingTables()  # type: ignore[assignment]
_transact_write_items = DynamoDBBackend.transact_write_items


def _put_back(table, hash_value, range_value, original):  # type: ignore[no-untyped-def]
    if table.has_range_key:
        if original is None:
            table.items[hash_value].pop(range_value, None)
        else:
            table.items[hash_value][range_value] = original
    elif original is None:
        table.items.pop(hash_value, None)
    else:
        table.items[hash_value] = original


def _transact_with_item_snapshots(self, transact_items):  # type: ignore[no-untyped-def]
    touched = []
    for entry in transact_items:
        try:
            op_type, op = next(iter(entry.items()))
            table = self.get_table(op["TableName"])
            source = op["Item"] if op_type == "Put" else op["Key"]
            names = [name for name in (table.hash_key_attr, table.range_key_attr) if name]
            hash_value, range_value = self.get_keys_value(table, {name: source[name] for name in names})
            original = copy.deepcopy(table.get_item(hash_value, range_value))
            touched.append((table, hash_value, range_value, original))
        except Exception:  # noqa: BLE001 - a malformed operation is moto's to report
            continue
    try:
        return _transact_write_items(self, transact_items)
    except BaseException:
        for table, hash_value, range_value, original in reversed(touched):
            _put_back(table, hash_value, range_value, original)
        raise


DynamoDBBackend.transact_write_items = _transact_with_item_snapshots  # type: ignore[method-assign]


# 3. the pre-token-generation (V2) trigger, which moto (5.2.5) does not run
#
# Cognito calls the user pool's trigger once each time it issues tokens (sign-in or refresh), with
# the user's attributes and groups, and adds, overrides or suppresses claims of the ID and access
# tokens as it answers. The local stack serves Lambda's Invoke API for its functions at
# TENANTKIT_LAMBDA_ENDPOINT; without it (moto started on its own), tokens are issued as before.
# Claims Cognito keeps whatever a trigger answers.
_RESERVED_CLAIMS = {
    "acr", "amr", "at_hash", "aud", "auth_time", "azp", "c_hash", "client_id", "cognito:username",
    "event_id", "exp", "iat", "identities", "iss", "jti", "nbf", "nonce", "origin_jti", "scope",
    "sub", "token_use", "username",
}  # fmt: skip
_issuing = threading.local()


class UserLambdaValidationException(JsonRESTError):
    """What Cognito answers when a trigger fails: the sign-in fails with it."""

    def __init__(self, message: str):
        super().__init__("UserLambdaValidationException", message)


def _trigger_arn(pool: CognitoIdpUserPool) -> str | None:
    config = (pool.extended_config.get("LambdaConfig") or {}).get("PreTokenGenerationConfig") or {}
    return config.get("LambdaArn") if config.get("LambdaVersion") == "V2_0" else None


def _invoke(arn: str, event: dict) -> dict:  # type: ignore[type-arg]
    endpoint = os.environ["TENANTKIT_LAMBDA_ENDPOINT"]
    request = urllib.request.Request(
        f"{endpoint}/2015-03-31/functions/{urllib.parse.quote(arn, safe='')}/invocations",
        data=json.dumps(event).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the local stack's own endpoint
            payload = json.loads(response.read() or b"null")
            failed = response.headers.get("X-Amz-Function-Error")
    except (OSError, ValueError) as error:  # unreachable, unknown function (404), not JSON
        raise UserLambdaValidationException(f"PreTokenGeneration invocation failed: {error}.") from error
    if failed:
        message = payload.get("errorMessage", payload) if isinstance(payload, dict) else payload
        raise UserLambdaValidationException(f"PreTokenGeneration failed with error {message}.")
    if not isinstance(payload, dict):
        raise UserLambdaValidationException("PreTokenGeneration answered no event.")
    return payload


def _overrides(pool: CognitoIdpUserPool, client_id: str, username: str, source: str) -> dict | None:  # type: ignore[type-arg]
    arn = _trigger_arn(pool)
    if not arn or not os.environ.get("TENANTKIT_LAMBDA_ENDPOINT"):
        return None
    user = pool._get_user(username)
    attributes = {a["Name"]: a["Value"] for a in user.attributes}
    attributes.update({"sub": user.id, "cognito:user_status": user.status})
    groups = [group.group_name for group in user.groups]
    event = {
        "version": "2",
        "triggerSource": source,
        "region": pool.region,
        "userPoolId": pool.id,
        "userName": user.username,
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": client_id},
        "request": {
            "userAttributes": attributes,
            "groupConfiguration": {"groupsToOverride": groups, "iamRolesToOverride": [], "preferredRole": None},
            "scopes": ["aws.cognito.signin.user.admin"],
        },
        "response": {"claimsAndScopeOverrideDetails": None},
    }
    response = _invoke(arn, event).get("response")
    if response is None:
        return {}
    details = response.get("claimsAndScopeOverrideDetails") if isinstance(response, dict) else None
    if not isinstance(response, dict) or not isinstance(details, (dict, type(None))):
        raise UserLambdaValidationException("PreTokenGeneration answered a malformed response.")
    return details or {}


_create_jwt = CognitoIdpUserPool.create_jwt
_create_access_token = CognitoIdpUserPool.create_access_token
_create_id_token = CognitoIdpUserPool.create_id_token


def _create_jwt_with_overrides(self, client_id, username, token_use, expires_in=60 * 60, extra_data=None):  # type: ignore[no-untyped-def]
    details = getattr(_issuing, "overrides", None)
    if not details:
        return _create_jwt(self, client_id, username, token_use, expires_in, extra_data)
    data = dict(extra_data or {})
    groups = (details.get("groupOverrideDetails") or {}).get("groupsToOverride")
    if groups is not None:
        data["cognito:groups"] = groups
    generation = details.get("idTokenGeneration" if token_use == "id" else "accessTokenGeneration") or {}
    for name, value in (generation.get("claimsToAddOrOverride") or {}).items():
        if name not in _RESERVED_CLAIMS:
            data[name] = value
    suppressed = [name for name in generation.get("claimsToSuppress") or [] if name not in _RESERVED_CLAIMS]
    token, expires = _create_jwt(self, client_id, username, token_use, expires_in, data)
    if not suppressed:
        return token, expires
    # moto adds some claims of its own after extra_data: suppress on the finished token.
    claims = dict(joserfc_jwt.decode(token, self.json_web_key).claims)
    for name in suppressed:
        claims.pop(name, None)
    return joserfc_jwt.encode({"kid": "dummy", "alg": "RS256"}, claims, self.json_web_key), expires


def _issued_with(details, create, *args):  # type: ignore[no-untyped-def]
    _issuing.overrides = details
    try:
        return create(*args)
    finally:
        _issuing.overrides = None


def _source() -> str:
    return getattr(_issuing, "source", None) or "TokenGeneration_Authentication"


def _access_token_with_trigger(self, client_id, username, origin_jti):  # type: ignore[no-untyped-def]
    details = _overrides(self, client_id, username, _source())
    # Every moto path issues the access token, then the ID token of the same issue, on one thread:
    # the ID token takes this answer rather than calling the trigger a second time.
    _issuing.answer = (origin_jti, details)
    return _issued_with(details, _create_access_token, self, client_id, username, origin_jti)


def _id_token_with_trigger(self, client_id, username, origin_jti):  # type: ignore[no-untyped-def]
    answer = getattr(_issuing, "answer", None)
    _issuing.answer = None
    if answer and answer[0] == origin_jti:
        details = answer[1]
    else:
        details = _overrides(self, client_id, username, _source())
    return _issued_with(details, _create_id_token, self, client_id, username, origin_jti)


def _with_trigger_source(initiate, flow_position: int):  # type: ignore[no-untyped-def]
    """A backend's (Admin)InitiateAuth, telling the trigger whether tokens are refreshed."""

    def initiate_auth(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        flow = kwargs.get("auth_flow", args[flow_position] if len(args) > flow_position else "")
        flow = getattr(flow, "value", flow)  # moto's AuthFlow enum or the request's text
        _issuing.source = "TokenGeneration_RefreshTokens" if str(flow).startswith("REFRESH") else None
        try:
            return initiate(self, *args, **kwargs)
        finally:
            _issuing.source = None

    return initiate_auth


CognitoIdpUserPool.create_jwt = _create_jwt_with_overrides  # type: ignore[method-assign]
CognitoIdpUserPool.create_access_token = _access_token_with_trigger  # type: ignore[method-assign]
CognitoIdpUserPool.create_id_token = _id_token_with_trigger  # type: ignore[method-assign]
# initiate_auth(client_id, auth_flow, ...); admin_initiate_auth(user_pool_id, client_id, auth_flow, ...)
CognitoIdpBackend.initiate_auth = _with_trigger_source(CognitoIdpBackend.initiate_auth, 1)  # type: ignore[method-assign]
CognitoIdpBackend.admin_initiate_auth = _with_trigger_source(CognitoIdpBackend.admin_initiate_auth, 2)  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.argv[0] = "moto_server"
    sys.exit(main())
