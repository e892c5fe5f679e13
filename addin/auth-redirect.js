if (window.msalRedirectBridge) {
  window.msalRedirectBridge.broadcastResponseToMainFrame().catch(function (error) {
    document.body.textContent = "Sign-in did not finish: " + (error && error.message ? error.message : error);
  });
}
