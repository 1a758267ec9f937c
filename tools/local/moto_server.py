"""Runs moto's server with DynamoDB transactions made atomic and cheap, as DynamoDB's are.

moto's TransactWriteItems (5.2.5) snapshots every table it touches with a deep copy and, when a
condition fails, puts the whole snapshot back. Under concurrent requests that undoes writes
other requests committed in between (50 concurrent orders oversold the last 10 units), and the
copy costs time in proportion to the table (200 ms per transaction at 3,000 items). So:

1. DynamoDB requests are handled one at a time (every other service stays concurrent, so SQS long
   polling is unaffected), which also makes a conditional write's check and write one step.
2. A transaction snapshots only the items it touches and, if it fails, puts those back; the
   whole-table copy becomes a no-op.
"""

import copy
import sys
import threading

import moto.dynamodb.models as dynamodb_models
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

if __name__ == "__main__":
    sys.argv[0] = "moto_server"
    sys.exit(main())
