"""Runs moto's server with DynamoDB requests handled one at a time.

moto's TransactWriteItems is not atomic under concurrent requests: it snapshots every table it
touches and, when a condition fails, restores the whole snapshot, undoing writes that other
requests committed in between; a conditional update's check and write can also interleave with
another request. Real DynamoDB serialises conflicting writes. Handling DynamoDB requests one at
a time (every other service stays concurrent, so SQS long polling is unaffected) gives the
local stack DynamoDB's guarantees: "stock >= :quantity" holds under 50 concurrent orders.
"""

import sys
import threading

from moto.dynamodb.responses import DynamoHandler
from moto.server import main

_dynamodb_lock = threading.Lock()
_call_action = DynamoHandler.call_action


def _serialised_call_action(self):  # type: ignore[no-untyped-def]
    with _dynamodb_lock:
        return _call_action(self)


DynamoHandler.call_action = _serialised_call_action  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.argv[0] = "moto_server"
    sys.exit(main())
