# The oracle of gridgov's registration-quality estimator: R's survey package (Lumley), Debian's
# r-cran-survey. For every campaign and area: svydesign(ids=~1, strata=~stratum, fpc=~houses) on the
# area's own visited houses, svyratio of registered/found and of accurate/checked.
#
#   Rscript svyratio.R FRAME.csv VISITS.csv LEVELS OUT.csv
#
# LEVELS is a comma-separated list of all, district, street, community, grid (the area is the stratum
# code's first 6, 9, 12 or 15 digits). OUT.csv: level,campaign_id,area,indicator,estimate,std_error
# (17 significant digits). A stratum with one visited house uses survey.lonely.psu = "adjust" (as
# gridgov does); svydesign refuses an area of one visited house: its row says "refused".
# Used by tests/quality/test_against_r.py and benchmarks/bench_quality_estimate.py; prints the
# seconds spent estimating (after reading, before writing) on standard output.
args <- commandArgs(trailingOnly = TRUE)
suppressMessages(library(survey))
options(survey.lonely.psu = "adjust")
frame <- read.csv(args[1], colClasses = c(campaign_id = "character", stratum = "character",
                                          houses = "numeric"))
visits <- read.csv(args[2], colClasses = c(campaign_id = "character", stratum = "character",
                                           house_id = "character"))
d <- merge(visits, frame, by = c("campaign_id", "stratum"))
indicators <- c("registration_rate", "accuracy_rate")
started <- proc.time()[["elapsed"]]
rows <- list()
for (level in strsplit(args[3], ",")[[1]]) {
  digits <- c(all = 0, district = 6, street = 9, community = 12, grid = 15)[[level]]
  d$area <- if (digits == 0) "all" else substr(d$stratum, 1, digits)
  parts <- split(d, paste(d$campaign_id, d$area, sep = "\r"), drop = TRUE)
  rows <- c(rows, lapply(parts, function(sub) {
    if (nrow(sub) == 1) {
      return(data.frame(level = level, campaign_id = sub$campaign_id[1], area = sub$area[1],
                        indicator = indicators, estimate = "refused", std_error = "refused"))
    }
    des <- svydesign(ids = ~1, strata = ~stratum, fpc = ~houses, data = sub)
    reg <- svyratio(~persons_registered, ~persons_found, des)
    acc <- svyratio(~records_accurate, ~records_checked, des)
    data.frame(level = level, campaign_id = sub$campaign_id[1], area = sub$area[1], indicator = indicators,
               estimate = sprintf("%.17g", c(coef(reg)[[1]], coef(acc)[[1]])),
               std_error = sprintf("%.17g", c(SE(reg)[[1]], SE(acc)[[1]])))
  }))
}
elapsed <- proc.time()[["elapsed"]] - started
write.csv(do.call(rbind, rows), args[4], row.names = FALSE, quote = TRUE)
cat(sprintf("%.3f\n", elapsed))
