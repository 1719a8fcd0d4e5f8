//! The six ways an API says where the next page is, as values a connector builds.

use super::{Common, Items, Paginator, Pick, Style};

/// The options every paginator has: where the items are, and how many pages at most.
macro_rules! common_options {
    ($style:ident, $example:expr) => {
        impl $style {
            /// Where the items of a page are: a JSON pointer into the body (`"/data"`,
            /// `"/response/items"`). A missing or `null` value is an empty page. By default the
            /// items are the body itself when it is an array, or else the first array among the
            /// fields `data`, `items`, `results`, `records`, `entries`, `elements`, `values`.
            ///
            /// ```
            #[doc = concat!("let paginator = ", $example, ".items_at(\"/data\");")]
            /// ```
            pub fn items_at(mut self, pointer: impl Into<String>) -> Self {
                self.common.items = Items::Pointer(super::pointer(pointer.into()));
                self
            }

            /// Where the items of a page are, for a body a pointer cannot describe: `find`
            /// takes them out of the body (which the page keeps without them), or answers
            /// `None` when the body holds none where they should be, which is an error.
            ///
            /// ```
            /// use serde_json::Value;
            #[doc = concat!("let paginator = ", $example, ".items_with(|body: &mut Value| {")]
            ///     // `{"response": {"users": [...]}}` or, for one user, `{"response": {"user": {...}}}`
            ///     let response = body.get_mut("response")?;
            ///     match response.get_mut("users") {
            ///         Some(users) => serde_json::from_value(users.take()).ok(),
            ///         None => Some(vec![response.get_mut("user")?.take()]),
            ///     }
            /// });
            /// ```
            pub fn items_with(
                mut self,
                find: impl Fn(&mut serde_json::Value) -> Option<Vec<serde_json::Value>>
                + Send
                + Sync
                + 'static,
            ) -> Self {
                self.common.items = Items::With(std::sync::Arc::new(find));
                self
            }

            /// Stops after `pages` pages even if there are more (for a first look, a test, or
            /// an API that pages for ever).
            ///
            /// ```
            #[doc = concat!("let paginator = ", $example, ".max_pages(10);")]
            /// ```
            pub fn max_pages(mut self, pages: u64) -> Self {
                self.common.max_pages = Some(pages);
                self
            }
        }

        impl From<$style> for Paginator {
            fn from(style: $style) -> Self {
                Paginator {
                    style: Style::$style(style),
                }
            }
        }
    };
}

/// Offset and limit: `?offset=0&limit=50`, then `offset=50`, and so on. Stops after an empty
/// page; when the body gives the total ([`total`](Offset::total)), once the offset reaches it;
/// without a total, after a short page (fewer items than the limit).
///
/// ```
/// use connector_http::Offset;
///
/// // The playground: /pagination/offset?offset=&limit= answers {data, offset, limit, total}.
/// let paginator = Offset::new("offset", "limit", 50).total("/total").items_at("/data");
/// ```
#[derive(Clone)]
pub struct Offset {
    pub(crate) offset_param: String,
    pub(crate) limit_param: String,
    pub(crate) limit: u64,
    pub(crate) start: u64,
    pub(crate) total: Option<Pick>,
    pub(crate) common: Common,
}

impl Offset {
    /// Pages of `limit` items, the offset in query parameter `offset_param` and the limit in
    /// `limit_param`.
    ///
    /// ```
    /// let paginator = connector_http::Offset::new("offset", "limit", 100);
    /// ```
    pub fn new(
        offset_param: impl Into<String>,
        limit_param: impl Into<String>,
        limit: u64,
    ) -> Self {
        Offset {
            offset_param: offset_param.into(),
            limit_param: limit_param.into(),
            limit,
            start: 0,
            total: None,
            common: Common::default(),
        }
    }

    /// The first offset (default 0).
    ///
    /// ```
    /// let paginator = connector_http::Offset::new("offset", "limit", 100).start(1);
    /// ```
    pub fn start(mut self, offset: u64) -> Self {
        self.start = offset;
        self
    }

    /// Where the body gives the total number of items (a number or a numeric string). With it,
    /// a short page does not end the walk (a server may cap the limit); reaching the total does.
    ///
    /// ```
    /// let paginator = connector_http::Offset::new("offset", "limit", 100).total("/pagination/total");
    /// ```
    pub fn total(mut self, pick: impl Into<Pick>) -> Self {
        self.total = Some(pick.into());
        self
    }
}

common_options!(
    Offset,
    "connector_http::Offset::new(\"offset\", \"limit\", 50)"
);

/// Page numbers: `?page=1`, then `page=2`, and so on. Stops after an empty page; when the body
/// gives the number of pages ([`total_pages`](PageNumber::total_pages)), after the last; without
/// it but with a [`page_size`](PageNumber::page_size), after a short page.
///
/// ```
/// use connector_http::PageNumber;
///
/// // The playground: /pagination/page_number?page=&per_page= answers {data, page, total_pages, ...}.
/// let paginator = PageNumber::new("page")
///     .page_size("per_page", 50)
///     .total_pages("/total_pages")
///     .items_at("/data");
/// ```
#[derive(Clone)]
pub struct PageNumber {
    pub(crate) page_param: String,
    pub(crate) start: u64,
    pub(crate) total_pages: Option<Pick>,
    pub(crate) size: Option<(String, u64)>,
    pub(crate) common: Common,
}

impl PageNumber {
    /// The page number in query parameter `page_param`, from 1.
    ///
    /// ```
    /// let paginator = connector_http::PageNumber::new("page");
    /// ```
    pub fn new(page_param: impl Into<String>) -> Self {
        PageNumber {
            page_param: page_param.into(),
            start: 1,
            total_pages: None,
            size: None,
            common: Common::default(),
        }
    }

    /// The number of the first page (default 1; some APIs count from 0).
    ///
    /// ```
    /// let paginator = connector_http::PageNumber::new("page").start(0);
    /// ```
    pub fn start(mut self, page: u64) -> Self {
        self.start = page;
        self
    }

    /// Where the body gives the number of pages (a number or a numeric string).
    ///
    /// ```
    /// let paginator = connector_http::PageNumber::new("page").total_pages("/meta/pages");
    /// ```
    pub fn total_pages(mut self, pick: impl Into<Pick>) -> Self {
        self.total_pages = Some(pick.into());
        self
    }

    /// Sends the page size in query parameter `param`; without a page count, a page with fewer
    /// items is the last.
    ///
    /// ```
    /// let paginator = connector_http::PageNumber::new("page").page_size("per_page", 100);
    /// ```
    pub fn page_size(mut self, param: impl Into<String>, size: u64) -> Self {
        self.size = Some((param.into(), size));
        self
    }
}

common_options!(PageNumber, "connector_http::PageNumber::new(\"page\")");

/// A cursor (or scroll token) in the body, sent back as a query parameter. Stops when the body
/// has no token (missing, `null` or empty) or the page is empty.
///
/// ```
/// use connector_http::Cursor;
///
/// // The playground's keyset pagination: the first request sends `updated_since`, the next ones
/// // only `scroll_param` (it refuses both at once).
/// let paginator = Cursor::new("/scroll_param", "scroll_param").token_only().items_at("/data");
/// ```
#[derive(Clone)]
pub struct Cursor {
    pub(crate) token: Pick,
    pub(crate) param: String,
    pub(crate) token_only: bool,
    pub(crate) common: Common,
}

impl Cursor {
    /// The token is where `pick` says in the body, and goes back in query parameter `param`.
    ///
    /// ```
    /// let paginator = connector_http::Cursor::new("/meta/next_cursor", "cursor");
    /// ```
    pub fn new(pick: impl Into<Pick>, param: impl Into<String>) -> Self {
        Cursor {
            token: pick.into(),
            param: param.into(),
            token_only: false,
            common: Common::default(),
        }
    }

    /// The requests after the first carry the token alone, not the first request's query.
    ///
    /// ```
    /// let paginator = connector_http::Cursor::new("/scroll_param", "scroll_param").token_only();
    /// ```
    pub fn token_only(mut self) -> Self {
        self.token_only = true;
        self
    }
}

common_options!(Cursor, "connector_http::Cursor::new(\"/next\", \"cursor\")");

/// The URL of the next page in the body (absolute, or relative to the page's URL), requested as
/// it is (it carries its own query). Stops when there is none (missing, `null` or empty) or the
/// page is empty.
///
/// ```
/// use connector_http::NextUrl;
///
/// // The playground: {data, next_page_url, ...}; PokeAPI: {results, next, ...}.
/// let playground = NextUrl::new("/next_page_url").items_at("/data");
/// let pokeapi = NextUrl::new("/next").items_at("/results");
/// ```
#[derive(Clone)]
pub struct NextUrl {
    pub(crate) next: Pick,
    pub(crate) common: Common,
}

impl NextUrl {
    /// The next page's URL is where `pick` says in the body.
    ///
    /// ```
    /// let paginator = connector_http::NextUrl::new("/links/next");
    /// ```
    pub fn new(pick: impl Into<Pick>) -> Self {
        NextUrl {
            next: pick.into(),
            common: Common::default(),
        }
    }
}

common_options!(NextUrl, "connector_http::NextUrl::new(\"/next\")");

/// The link whose relation is `next` in the `Link` header (RFC 8288), as GitHub and many
/// others send it. Stops when there is none or the page is empty.
///
/// ```
/// use connector_http::LinkHeader;
///
/// let paginator = LinkHeader::new();
/// ```
#[derive(Clone, Default)]
pub struct LinkHeader {
    pub(crate) common: Common,
}

impl LinkHeader {
    /// Follows `Link: <...>; rel="next"`.
    ///
    /// ```
    /// let paginator = connector_http::LinkHeader::new().max_pages(100);
    /// ```
    pub fn new() -> Self {
        LinkHeader::default()
    }
}

common_options!(LinkHeader, "connector_http::LinkHeader::new()");

/// A next-page token in a response header, sent back as a query parameter (Toast's
/// `Toast-Next-Page-Token` goes back as `pageToken`). Stops when the header is missing or empty,
/// or the page is empty.
///
/// ```
/// use connector_http::HeaderToken;
///
/// let paginator = HeaderToken::new("Toast-Next-Page-Token", "pageToken");
/// ```
#[derive(Clone)]
pub struct HeaderToken {
    pub(crate) header: String,
    pub(crate) param: String,
    pub(crate) common: Common,
}

impl HeaderToken {
    /// The token is in response header `header`, and goes back in query parameter `param`.
    ///
    /// ```
    /// let paginator = connector_http::HeaderToken::new("X-Next-Token", "next_token");
    /// ```
    pub fn new(header: impl Into<String>, param: impl Into<String>) -> Self {
        HeaderToken {
            header: header.into(),
            param: param.into(),
            common: Common::default(),
        }
    }
}

common_options!(
    HeaderToken,
    "connector_http::HeaderToken::new(\"Toast-Next-Page-Token\", \"pageToken\")"
);
