// The function file must initialise Office.js even though no command runs code.
if (window.Office && typeof window.Office.onReady === "function") {
  window.Office.onReady();
}
