// Starts GOV.UK Frontend components on every page.
import { initAll } from '/static/build/govuk-frontend.min.js'
initAll()
