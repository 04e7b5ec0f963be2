"""Images on TikTok Shop: a listing's main images must be URIs from Upload Product Image,
so each source image is uploaded once per shop and reused by the hash of its content
(connectors/image_upload.py).

The listing content names images by their source URL (`image_key`), which the mapping can
compute without a request; the client resolves a key to a TikTok URI, and a URI read back
to its key. The cache is per process and per shop; TikTok has no call that lists uploaded
images, so the shop's uploads are also remembered in the state database (the client's
`media=`, connectors/image_upload.py `Recall`): a new process reads them once instead of
uploading again, and maps the URIs of products it reads back to their source keys.
"""

from __future__ import annotations

from connectors.image_upload import UploadCache, image_key

__all__ = ["ShopImages", "image_key", "shop_images"]

ShopImages = UploadCache[str]  # uploads are TikTok URIs

# Per shop (base URL, account) and shared by every client of it in the process: a Celery
# worker makes many clients, and an image should go up once, not once per client.
_SHOPS: dict[tuple[str, str], ShopImages] = {}


def shop_images(base_url: str, account: str) -> ShopImages:
    """The upload cache of one shop."""
    return _SHOPS.setdefault((base_url, account), ShopImages())
