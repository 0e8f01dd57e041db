"""Development tools, installed only when ``LINE_SIMULATOR`` is on (the demo's
``config.settings.local`` and the tests; production refuses it):

* a stand-in for the LINE Messaging API (``line_api``), speaking LINE's own
  paths and JSON, so that the app's line-bot-sdk calls reach this server
  instead of LINE's;
* a LINE simulator (``views``), a phone-like page where one writes as a
  client: each message becomes a signed webhook body posted to the app's
  real webhook, and the replies the stand-in received are shown.

Nothing here is for real people's data."""
