//! Pagination: a request walked page by page as an async stream of [`Page`]s (or of items).
//!
//! A paginator says where the next page is: [`Offset`] (offset and limit), [`PageNumber`],
//! [`Cursor`] (a token in the body), [`NextUrl`] (a URL in the body), [`LinkHeader`] (RFC 8288)
//! or [`HeaderToken`] (a token in a response header, as Toast sends it). Each also says where a
//! page's items are in its JSON body ([`items_at`](Offset::items_at) takes a JSON pointer;
//! [`items_with`](Offset::items_with) a function), and where a total or a token is, through a
//! [`Pick`]: a JSON pointer, or a function for a body a pointer cannot describe.
//!
//! Every page goes through [`RequestBuilder::send`](crate::RequestBuilder::send): authenticated,
//! within the rate limit, retried. Every style stops after an empty page, and fails (rather than
//! loops for ever) when a page points at itself. A stream that fails yields the error and ends.
//!
//! A connector that checkpoints walks pages, not items: it emits a page's rows, then
//! checkpoints with the state that says what to ask for next (an [`Incremental`] cursor, or a
//! token it reads from [`Page::body`]). A failure on a later page then ends the sync at that
//! checkpoint, and the next run starts from it: nothing is lost, and nothing is emitted twice
//! but the rows at the cursor's boundary, upserted again (the [`Incremental`] rule).
//!
//! [`Incremental`]: crate::Incremental

mod link;
mod styles;

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::stream::{self, BoxStream, Stream, StreamExt};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::client::RequestBuilder;
use crate::{Error, Response, Result};

pub use styles::{Cursor, HeaderToken, LinkHeader, NextUrl, Offset, PageNumber};

/// Where to find one value in a page's JSON body: a JSON pointer (`"/meta/total"`; the leading
/// `/` may be left out), or a function.
///
/// ```
/// use connector_http::{Offset, Pick};
/// use serde_json::Value;
///
/// let by_pointer: Pick = "/pagination/total".into();
/// // HubSpot's `has-more` and `offset`: a token only while there is more.
/// let by_function = Pick::with(|body: &Value| {
///     if body["has-more"] == true { body.get("offset").cloned() } else { None }
/// });
/// let paginator = Offset::new("offset", "limit", 100).total(by_pointer);
/// ```
#[derive(Clone)]
pub struct Pick(PickKind);

/// A function that finds one value in a body.
type PickFn = dyn Fn(&Value) -> Option<Value> + Send + Sync;

/// A function that takes the items out of a body.
type ItemsFn = dyn Fn(&mut Value) -> Option<Vec<Value>> + Send + Sync;

#[derive(Clone)]
enum PickKind {
    Pointer(String),
    With(Arc<PickFn>),
}

impl Pick {
    /// The value at a JSON pointer (RFC 6901).
    ///
    /// ```
    /// let pick = connector_http::Pick::pointer("/meta/next");
    /// ```
    pub fn pointer(pointer: impl Into<String>) -> Self {
        Pick(PickKind::Pointer(self::pointer(pointer.into())))
    }

    /// The value `pick` finds, or `None`.
    ///
    /// ```
    /// use serde_json::Value;
    /// let pick = connector_http::Pick::with(|body: &Value| body["links"]["next"]["href"].as_str().map(Value::from));
    /// ```
    pub fn with(pick: impl Fn(&Value) -> Option<Value> + Send + Sync + 'static) -> Self {
        Pick(PickKind::With(Arc::new(pick)))
    }

    fn pick(&self, body: &Value) -> Option<Value> {
        match &self.0 {
            PickKind::Pointer(pointer) => body.pointer(pointer).cloned(),
            PickKind::With(pick) => pick(body),
        }
    }

    /// A count: a non-negative number, or a string that holds one.
    fn count(&self, body: &Value) -> Option<u64> {
        match self.pick(body)? {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// A token or a URL: a non-empty string, or a number written out.
    fn text(&self, body: &Value) -> Option<String> {
        match self.pick(body)? {
            Value::String(s) if !s.is_empty() => Some(s),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
}

impl From<&str> for Pick {
    fn from(pointer: &str) -> Self {
        Pick::pointer(pointer)
    }
}

impl From<String> for Pick {
    fn from(pointer: String) -> Self {
        Pick::pointer(pointer)
    }
}

impl fmt::Debug for Pick {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            PickKind::Pointer(pointer) => write!(f, "Pick({pointer:?})"),
            PickKind::With(_) => f.write_str("Pick(fn)"),
        }
    }
}

/// A JSON pointer with its leading `/`.
pub(crate) fn pointer(pointer: String) -> String {
    if pointer.is_empty() || pointer.starts_with('/') {
        pointer
    } else {
        format!("/{pointer}")
    }
}

/// Where a page's items are.
#[derive(Clone, Default)]
pub(crate) enum Items {
    /// The body if it is an array, else the first array among the usual field names.
    #[default]
    Auto,
    Pointer(String),
    With(Arc<ItemsFn>),
}

/// The field names [`Items::Auto`] looks for, in order.
const ITEM_FIELDS: &[&str] = &[
    "data", "items", "results", "records", "entries", "elements", "values",
];

impl Items {
    /// Takes the items out of `body`, or says why it cannot.
    fn take(&self, body: &mut Value) -> Result<Vec<Value>, String> {
        let found = match self {
            Items::Auto => {
                if body.is_array() {
                    body.take()
                } else {
                    let field = ITEM_FIELDS
                        .iter()
                        .find(|f| body.get(**f).is_some_and(Value::is_array))
                        .ok_or_else(|| {
                            String::from(
                                "no items: the body is not an array and has none of the fields \
                                 data, items, results, records, entries, elements, values; say \
                                 where they are with `items_at`",
                            )
                        })?;
                    body[*field].take()
                }
            }
            Items::Pointer(pointer) => match body.pointer_mut(pointer) {
                None => Value::Null,
                Some(found) => found.take(),
            },
            Items::With(find) => {
                return find(body)
                    .ok_or_else(|| String::from("the `items_with` function found no items"));
            }
        };
        match found {
            Value::Array(items) => Ok(items),
            Value::Null => Ok(Vec::new()),
            other => Err(format!(
                "the items are {}, not an array",
                match other {
                    Value::Object(_) => "an object",
                    Value::String(_) => "a string",
                    Value::Number(_) => "a number",
                    _ => "a boolean",
                }
            )),
        }
    }
}

/// The options every paginator has.
#[derive(Clone, Default)]
pub(crate) struct Common {
    items: Items,
    max_pages: Option<u64>,
}

/// How a request is paginated: any of [`Offset`], [`PageNumber`], [`Cursor`], [`NextUrl`],
/// [`LinkHeader`], [`HeaderToken`] converts into it, so
/// [`RequestBuilder::paginate`](crate::RequestBuilder::paginate) takes any of them.
///
/// ```
/// use connector_http::{Cursor, LinkHeader, Paginator};
///
/// let by_api: Paginator = if true {
///     LinkHeader::new().into()
/// } else {
///     Cursor::new("/next", "cursor").into()
/// };
/// ```
#[derive(Clone)]
pub struct Paginator {
    style: Style,
}

impl fmt::Debug for Paginator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let style = match &self.style {
            Style::Offset(_) => "Offset",
            Style::PageNumber(_) => "PageNumber",
            Style::Cursor(_) => "Cursor",
            Style::NextUrl(_) => "NextUrl",
            Style::LinkHeader(_) => "LinkHeader",
            Style::HeaderToken(_) => "HeaderToken",
        };
        f.debug_struct("Paginator").field("style", &style).finish()
    }
}

#[derive(Clone)]
pub(crate) enum Style {
    Offset(Offset),
    PageNumber(PageNumber),
    Cursor(Cursor),
    NextUrl(NextUrl),
    LinkHeader(LinkHeader),
    HeaderToken(HeaderToken),
}

impl Style {
    fn common(&self) -> &Common {
        match self {
            Style::Offset(s) => &s.common,
            Style::PageNumber(s) => &s.common,
            Style::Cursor(s) => &s.common,
            Style::NextUrl(s) => &s.common,
            Style::LinkHeader(s) => &s.common,
            Style::HeaderToken(s) => &s.common,
        }
    }
}

/// One page: its number, its response, its items, and its body without them.
///
/// ```no_run
/// use connector_http::PageNumber;
///
/// #[derive(serde::Deserialize)]
/// struct User { id: String, #[serde(rename = "updatedAt")] updated_at: String }
///
/// # async fn run(http: connector_http::Client) -> connector_http::Result<()> {
/// let mut pages = http.get("users").paginate(PageNumber::new("page").items_at("/data"));
/// while let Some(page) = pages.next_page().await? {
///     let total = page.body()["total_items"].as_u64();
///     let users: Vec<User> = page.into_items_as()?;
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Page {
    number: u64,
    response: Response,
    body: Value,
    items: Vec<Value>,
}

impl Page {
    /// The page's number in this walk, from 1 (not the API's page number).
    ///
    /// ```no_run
    /// # async fn run(mut pages: connector_http::Pages) -> connector_http::Result<()> {
    /// let first = pages.next_page().await?.unwrap();
    /// assert_eq!(first.number(), 1);
    /// # Ok(())
    /// # }
    /// ```
    pub fn number(&self) -> u64 {
        self.number
    }

    /// The response: status, headers, URL.
    ///
    /// ```no_run
    /// # async fn run(mut pages: connector_http::Pages) -> connector_http::Result<()> {
    /// let page = pages.next_page().await?.unwrap();
    /// let remaining = page.response().header("x-ratelimit-remaining");
    /// # Ok(())
    /// # }
    /// ```
    pub fn response(&self) -> &Response {
        &self.response
    }

    /// The body, without its items (they were moved into [`items`](Page::items)).
    ///
    /// ```no_run
    /// # async fn run(mut pages: connector_http::Pages) -> connector_http::Result<()> {
    /// let page = pages.next_page().await?.unwrap();
    /// let total = page.body()["total"].as_u64();
    /// # Ok(())
    /// # }
    /// ```
    pub fn body(&self) -> &Value {
        &self.body
    }

    /// The items.
    ///
    /// ```no_run
    /// # async fn run(mut pages: connector_http::Pages) -> connector_http::Result<()> {
    /// let page = pages.next_page().await?.unwrap();
    /// for item in page.items() {
    ///     println!("{}", item["id"]);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn items(&self) -> &[Value] {
        &self.items
    }

    /// The items, taken.
    ///
    /// ```no_run
    /// # async fn run(mut pages: connector_http::Pages) -> connector_http::Result<()> {
    /// let items: Vec<serde_json::Value> = pages.next_page().await?.unwrap().into_items();
    /// # Ok(())
    /// # }
    /// ```
    pub fn into_items(self) -> Vec<Value> {
        self.items
    }

    /// The items as `T`s; an item that is not a `T` is an [`Error::Decode`] that names the page.
    ///
    /// ```no_run
    /// # async fn run(mut pages: connector_http::Pages) -> connector_http::Result<()> {
    /// #[derive(serde::Deserialize)]
    /// struct User { id: String }
    /// let users: Vec<User> = pages.next_page().await?.unwrap().into_items_as()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn into_items_as<T: DeserializeOwned>(self) -> Result<Vec<T>> {
        let response = self.response;
        self.items
            .into_iter()
            .enumerate()
            .map(|(i, item)| {
                serde_json::from_value(item)
                    .map_err(|e| response.decode_error(&format!("item {i} of the page: {e}")))
            })
            .collect()
    }
}

/// The pages of a request, as an async [`Stream`] of `Result<Page>`, or one by one with
/// [`next_page`](Pages::next_page). After an error it ends.
///
/// ```no_run
/// use connector_http::{NextUrl, TryStreamExt};
///
/// # async fn run(http: connector_http::Client) -> connector_http::Result<()> {
/// let pages = http.get("pagination/next_page_url").paginate(NextUrl::new("/next_page_url").items_at("/data"));
/// let all: Vec<connector_http::Page> = pages.try_collect().await?;
/// # Ok(())
/// # }
/// ```
#[must_use = "pages are requested only when the stream is polled"]
pub struct Pages {
    stream: BoxStream<'static, Result<Page>>,
}

impl fmt::Debug for Pages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pages")
    }
}

impl Pages {
    pub(crate) fn new(request: RequestBuilder, paginator: Paginator) -> Self {
        let walker = Walker {
            base: request.clone(),
            common: paginator.style.common().clone(),
            style: paginator.style,
            next: None,
            fetched: 0,
            position: 0,
            last_token: None,
        };
        let stream = stream::try_unfold(walker, |mut walker| async move {
            let page = walker.step().await?;
            Ok(page.map(|page| (page, walker)))
        });
        Pages {
            stream: stream.boxed(),
        }
    }

    /// The next page, `None` after the last.
    ///
    /// ```no_run
    /// # async fn run(mut pages: connector_http::Pages) -> connector_http::Result<()> {
    /// while let Some(page) = pages.next_page().await? {
    ///     println!("{} items", page.items().len());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn next_page(&mut self) -> Result<Option<Page>> {
        self.stream.next().await.transpose()
    }

    /// The items of every page, one by one, as `T`s. It hides page boundaries, so a connector
    /// that checkpoints after each page walks the pages instead.
    ///
    /// ```no_run
    /// use connector_http::{LinkHeader, TryStreamExt};
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Repo { id: u64, name: String }
    ///
    /// # async fn run(http: connector_http::Client) -> connector_http::Result<()> {
    /// let mut repos = http.get("user/repos").paginate(LinkHeader::new()).items::<Repo>();
    /// while let Some(repo) = repos.try_next().await? {
    ///     println!("{}", repo.name);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn items<T: DeserializeOwned + Send + 'static>(
        self,
    ) -> impl Stream<Item = Result<T>> + Send + Unpin + 'static {
        self.map(|page| match page.and_then(Page::into_items_as::<T>) {
            Ok(items) => stream::iter(items.into_iter().map(Ok)).left_stream(),
            Err(error) => stream::iter(vec![Err(error)]).right_stream(),
        })
        .flatten()
    }
}

impl Stream for Pages {
    type Item = Result<Page>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.stream.as_mut().poll_next(cx)
    }
}

/// The state of a walk: the request for the next page, and what the style remembers.
struct Walker {
    base: RequestBuilder,
    style: Style,
    common: Common,
    /// The next request; `None` before the first page.
    next: Option<RequestBuilder>,
    fetched: u64,
    /// The offset or page number of the next request.
    position: u64,
    /// The last token followed, to catch a page that points at itself.
    last_token: Option<String>,
}

impl Walker {
    /// Fetches the next page, or `None` when the walk is over.
    async fn step(&mut self) -> Result<Option<Page>> {
        if self.common.max_pages.is_some_and(|max| self.fetched >= max) {
            return Ok(None);
        }
        let request = match self.next.take() {
            Some(request) => request,
            None if self.fetched == 0 => self.first(),
            None => return Ok(None),
        };
        let response = request.clone().send().await?;
        let mut body: Value = response.json()?;
        let items = self
            .common
            .items
            .take(&mut body)
            .map_err(|message| stuck(&response, message))?;
        self.fetched += 1;
        self.next = if items.is_empty() {
            None
        } else {
            self.after(&request, &response, &body, items.len() as u64)?
        };
        Ok(Some(Page {
            number: self.fetched,
            response,
            body,
            items,
        }))
    }

    /// The first request.
    fn first(&mut self) -> RequestBuilder {
        let base = self.base.clone();
        match &self.style {
            Style::Offset(o) => {
                self.position = o.start;
                base.set_query(&o.offset_param, &o.start.to_string())
                    .set_query(&o.limit_param, &o.limit.to_string())
            }
            Style::PageNumber(p) => {
                self.position = p.start;
                let request = base.set_query(&p.page_param, &p.start.to_string());
                match &p.size {
                    Some((param, size)) => request.set_query(param, &size.to_string()),
                    None => request,
                }
            }
            _ => base,
        }
    }

    /// The request after a non-empty page of `count` items, or `None` if it was the last.
    fn after(
        &mut self,
        request: &RequestBuilder,
        response: &Response,
        body: &Value,
        count: u64,
    ) -> Result<Option<RequestBuilder>> {
        match &self.style {
            Style::Offset(o) => {
                let next = self.position + count;
                let last = match o.total.as_ref().and_then(|t| t.count(body)) {
                    Some(total) => next >= total,
                    None => count < o.limit,
                };
                self.position = next;
                Ok((!last).then(|| {
                    request
                        .clone()
                        .set_query(&o.offset_param, &next.to_string())
                }))
            }
            Style::PageNumber(p) => {
                let last = match p.total_pages.as_ref().and_then(|t| t.count(body)) {
                    Some(pages) => self.position - p.start + 1 >= pages,
                    None => p.size.as_ref().is_some_and(|(_, size)| count < *size),
                };
                self.position += 1;
                let page = self.position.to_string();
                Ok((!last).then(|| request.clone().set_query(&p.page_param, &page)))
            }
            Style::Cursor(c) => {
                let Some(token) = c.token.text(body) else {
                    return Ok(None);
                };
                check_token(&mut self.last_token, response, &token)?;
                let base = if c.token_only {
                    self.base.clone().clear_query()
                } else {
                    self.base.clone()
                };
                Ok(Some(base.set_query(&c.param, &token)))
            }
            Style::HeaderToken(h) => {
                let Some(token) = response.header(&h.header).filter(|t| !t.is_empty()) else {
                    return Ok(None);
                };
                let token = token.to_string();
                check_token(&mut self.last_token, response, &token)?;
                Ok(Some(self.base.clone().set_query(&h.param, &token)))
            }
            Style::NextUrl(n) => match n.next.text(body) {
                Some(next) => self.follow(request, response, &next),
                None => Ok(None),
            },
            Style::LinkHeader(_) => {
                let next = response
                    .headers()
                    .get_all(reqwest::header::LINK)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .find_map(link::next_link)
                    .map(str::to_string);
                match next {
                    Some(next) => self.follow(request, response, &next),
                    None => Ok(None),
                }
            }
        }
    }

    /// A request to `next`, resolved against the page's URL; an error if it is the page's own.
    fn follow(
        &self,
        request: &RequestBuilder,
        response: &Response,
        next: &str,
    ) -> Result<Option<RequestBuilder>> {
        let url = response.url().join(next).map_err(|e| {
            stuck(
                response,
                format!(
                    "the next page's URL `{}` is not a URL: {e}",
                    request.client().hide_secrets(next)
                ),
            )
        })?;
        if Some(&url) == request.url() || &url == response.url() {
            return Err(stuck(
                response,
                String::from("the next page's URL is the page's own: the walk would never end"),
            ));
        }
        Ok(Some(self.base.clone().with_url(url)))
    }
}

/// Notes `token` as the last followed; an error if it is the last one again.
fn check_token(last: &mut Option<String>, response: &Response, token: &str) -> Result<()> {
    if last.as_deref() == Some(token) {
        return Err(stuck(
            response,
            String::from("the next page's token is the page's own: the walk would never end"),
        ));
    }
    *last = Some(token.to_string());
    Ok(())
}

fn stuck(response: &Response, message: String) -> Error {
    Error::Paginate {
        url: response.shown_url(),
        message,
    }
}
