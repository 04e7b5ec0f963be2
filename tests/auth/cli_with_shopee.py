"""`ocop-sync` with Shopee registered, for subprocess tests until the registry line lands:
python -m tests.auth.cli_with_shopee auth …"""

from connectors.registry import register
from connectors.shopee import CONNECTOR
from sync.cli import main

register(CONNECTOR)
main()
