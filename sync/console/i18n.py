"""The console's two languages: Vietnamese (default) and English. Templates write English
phrases; `translate` gives the Vietnamese one (a missing entry falls back to English)."""

from __future__ import annotations

LANGUAGES = ("vi", "en")

VI: dict[str, str] = {
    "Operator console": "Bảng điều khiển vận hành",
    "Overview": "Tổng quan",
    "Runs": "Lượt chạy",
    "Run": "Lượt chạy",
    "Failures": "Lỗi",
    "Coverage": "Độ phủ OCOP",
    "Certificates": "Giấy chứng nhận",
    "Log in": "Đăng nhập",
    "Log out": "Đăng xuất",
    "Name": "Tên",
    "Password or token": "Mật khẩu hoặc mã truy cập",
    "Wrong name or password.": "Sai tên hoặc mật khẩu.",
    "No operator is configured: add [console] operators or an admin token.": (
        "Chưa cấu hình người vận hành: thêm [console] operators hoặc admin token."
    ),
    "account": "tài khoản",
    "marketplace": "sàn",
    "listed": "đang bán",
    "pending": "chờ đẩy",
    "in_review": "chờ sàn duyệt",
    "failed": "lỗi",
    "delisted": "đã gỡ",
    "skipped": "bỏ qua",
    "adopted": "đã nhận lại",
    "last run": "lượt gần nhất",
    "running": "đang chạy",
    "next scheduled run": "lượt theo lịch kế tiếp",
    "Token expiries": "Hạn mã truy cập",
    "access token": "mã truy cập",
    "refresh token": "mã làm mới",
    "authorisation": "ủy quyền",
    "kind": "loại",
    "trigger": "khởi chạy bởi",
    "status": "trạng thái",
    "started": "bắt đầu",
    "finished": "kết thúc",
    "duration": "thời lượng",
    "requests": "yêu cầu",
    "throttles": "bị giới hạn",
    "planned": "dự kiến",
    "done": "đã xong",
    "errors": "lỗi",
    "message": "thông báo",
    "listings": "sản phẩm",
    "count": "số lượng",
    "attempts": "lần thử",
    "Resync": "Đồng bộ lại",
    "Resync selected": "Đồng bộ lại mục đã chọn",
    "Resync this group": "Đồng bộ lại nhóm này",
    "Nothing found.": "Không có dữ liệu.",
    "Listing": "Sản phẩm",
    "History": "Lịch sử",
    "operation": "thao tác",
    "changed": "thay đổi",
    "outcome": "kết quả",
    "HTTP": "HTTP",
    "ms": "ms",
    "payload hash": "mã băm nội dung",
    "remote id": "mã trên sàn",
    "Open on the marketplace": "Xem trên sàn",
    "price": "giá",
    "stock": "tồn kho",
    "reason": "lý do",
    "eligible": "đủ điều kiện",
    "stars": "hạng sao",
    "OCOP group": "nhóm OCOP",
    "province": "tỉnh",
    "commune": "xã",
    "By stars and marketplace": "Theo hạng sao và sàn",
    "By OCOP group": "Theo nhóm OCOP",
    "By province and commune": "Theo tỉnh và xã",
    "No catalog is configured.": "Chưa cấu hình danh mục sản phẩm.",
    "Expiring within {days} days": "Hết hạn trong {days} ngày",
    "product": "sản phẩm",
    "expires": "hết hạn",
    "will be delisted": "sẽ bị gỡ",
    "Resync started": "Đã bắt đầu đồng bộ lại",
    "Resync queued on the workers": "Đã xếp hàng đồng bộ lại trên worker",
    "Nothing to resync.": "Không có gì để đồng bộ lại.",
    "Forbidden": "Không được phép",
    "Your role may not do this.": "Vai trò của bạn không được làm việc này.",
    "The form expired or came from another site (CSRF token missing or wrong).": (
        "Biểu mẫu đã hết hạn hoặc đến từ trang khác (thiếu hoặc sai mã CSRF)."
    ),
    "read-only": "chỉ xem",
    "operator": "vận hành",
    "viewer": "chỉ xem",
    "Live: this page refreshes while the run is going.": (
        "Trực tiếp: trang tự làm mới khi lượt chạy đang diễn ra."
    ),
    "total": "tổng",
    "Times in": "Giờ theo",
    "all accounts": "mọi tài khoản",
    "days left": "ngày còn lại",
    "Not found": "Không tìm thấy",
}


def translate(text: str, language: str) -> str:
    """`text` (an English phrase) in `language`."""
    if language == "vi":
        return VI.get(text, text)
    return text
