SELECT
  `accord__shared_1` AS `nino`,
  CAST(EXTRACT(YEAR FROM `date_of_birth`) AS INT) AS `date_of_birth`,
  CASE
    WHEN LENGTH(`accord__shared_2`) < 5
    THEN NULL
    ELSE SUBSTRING(`accord__shared_2`, 1, LENGTH(`accord__shared_2`) - 3)
  END AS `postcode`,
  COALESCE(`weekly_amount` > 70, FALSE) AS `weekly_amount`,
  SUBSTRING(CAST(`notes` AS STRING), 1, 10) AS `notes`
FROM (
  SELECT
    *,
    CASE
      WHEN CAST(`nino` AS STRING) RLIKE '[^\\x01-\\x7F]'
      THEN TRANSLATE(
        REPLACE(
          REPLACE(
            REPLACE(
              REPLACE(
                REPLACE(REPLACE(REPLACE(CAST(`nino` AS STRING), ' ', ''), CHR(9), ''), CHR(10), ''),
                CHR(13),
                ''
              ),
              CHR(12),
              ''
            ),
            CHR(11),
            ''
          ),
          '-',
          ''
        ),
        'abcdefghijklmnopqrstuvwxyz',
        'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
      )
      ELSE UPPER(
        REPLACE(
          REPLACE(
            REPLACE(
              REPLACE(
                REPLACE(REPLACE(REPLACE(CAST(`nino` AS STRING), ' ', ''), CHR(9), ''), CHR(10), ''),
                CHR(13),
                ''
              ),
              CHR(12),
              ''
            ),
            CHR(11),
            ''
          ),
          '-',
          ''
        )
      )
    END AS `accord__shared_1`,
    UPPER(REPLACE(CAST(`postcode` AS STRING), ' ', '')) AS `accord__shared_2`
  FROM `accord_source`
) AS `accord_rows`
WHERE
  (
    `weekly_amount` > 50
  )
  AND NOT EXISTS(
    SELECT
      1
    FROM `accord_opt_outs`
    WHERE
      `identifier` = `accord__shared_1`
  )
