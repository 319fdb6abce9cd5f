// Shows the site's messages pushed while no page is open. The payload (title, url, tag)
// is set as text; the tag makes a copy sent again replace the first.
self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) {
    data = {};
  }
  const title = typeof data.title === "string" ? data.title : "";
  event.waitUntil(self.registration.showNotification(title || "Consult", {
    tag: typeof data.tag === "string" ? data.tag : undefined,
    data: { url: typeof data.url === "string" ? data.url : "/inbox" },
    icon: "/static/favicon.svg",
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL(event.notification.data.url, self.location.origin);
  if (target.origin !== self.location.origin) return;   // only this site's pages
  event.waitUntil(self.clients.openWindow(target.href));
});
