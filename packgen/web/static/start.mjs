// Turns on GOV.UK Frontend's scripts (the menu on a phone, error summary focus, and the like).
// A separate file because the page's content security policy allows no inline script.
import { initAll } from "./govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
