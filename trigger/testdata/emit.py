"""Emit OpenStack notifications exactly as a service does: through
oslo.messaging's Notifier with the messagingv2 driver.

usage: emit.py TRANSPORT_URL EXCHANGE TOPIC PUBLISHER < notifications.json
where the input is a JSON list of {"context", "event_type", "payload"}.
"""
import json
import sys

import oslo_messaging as om
from oslo_config import cfg

url, exchange, topic, publisher = sys.argv[1:5]
conf = cfg.ConfigOpts()
conf([], project="emit")
om.set_transport_defaults(exchange)
transport = om.get_notification_transport(conf, url=url)
notifier = om.Notifier(transport, publisher_id=publisher, driver="messagingv2", topics=[topic])
for n in json.load(sys.stdin):
    notifier.info(n["context"], n["event_type"], n["payload"])
transport.cleanup()
