SELECT
  UPPER(REPLACE(REPLACE(CAST(`nino` AS STRING), '-', ''), ' ', '')) AS `nino`,
  CAST(EXTRACT(YEAR FROM `date_of_birth`) AS INT) AS `date_of_birth`,
  CASE
    WHEN LENGTH(UPPER(REPLACE(CAST(`postcode` AS STRING), ' ', ''))) < 5
    THEN NULL
    ELSE SUBSTRING(
      UPPER(REPLACE(CAST(`postcode` AS STRING), ' ', '')),
      1,
      LENGTH(UPPER(REPLACE(CAST(`postcode` AS STRING), ' ', ''))) - 3
    )
  END AS `postcode`,
  COALESCE(`weekly_amount` > 70, FALSE) AS `weekly_amount`,
  SUBSTRING(CAST(`notes` AS STRING), 1, 10) AS `notes`
FROM `accord_source`
WHERE
  (
    `weekly_amount` > 50
  )
  AND NOT EXISTS(
    SELECT
      1
    FROM `accord_opt_outs`
    WHERE
      `identifier` = UPPER(REPLACE(REPLACE(CAST(`nino` AS STRING), '-', ''), ' ', ''))
  )
