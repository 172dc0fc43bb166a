{#-
    One row per business: the purchase model (BG/NBD or Pareto/NBD) and the spend model
    (Gamma-Gamma) that scored its customers in customer_clv, their parameters, fit and
    how the purchase model was chosen. From the Python asset intermediate/clv_model_fits
    (ledgerlens.clv, source clv.clv_model_fits).
-#}
with

fits as (

    select * from {{ source('clv', 'clv_model_fits') }}

),

businesses as (

    select * from {{ ref('stg_businesses') }}

),

final as (

    select
        ---------- keys
        fits.business_id,
        ---------- dates
        fits.as_of_date,
        ---------- the purchase model
        fits.purchase_model,
        fits.fit_scope,
        fits.converged,
        'week' as time_unit,
        cast(fits.r as decimal(38, 12)) as r,
        cast(fits.alpha as decimal(38, 12)) as alpha,
        cast(fits.a as decimal(38, 12)) as a,
        cast(fits.b as decimal(38, 12)) as b,
        cast(fits.s as decimal(38, 12)) as s,
        cast(fits.beta as decimal(38, 12)) as beta,
        cast(fits.log_likelihood as decimal(38, 6)) as log_likelihood,
        ---------- the spend model
        fits.spend_model,
        cast(fits.p as decimal(38, 12)) as p,
        cast(fits.q as decimal(38, 12)) as q,
        cast(fits.gamma as decimal(38, 12)) as gamma,
        cast(fits.spend_log_likelihood as decimal(38, 6)) as spend_log_likelihood,
        businesses.home_currency as spend_currency,
        ---------- what it was fitted on
        cast(fits.customers as {{ dbt.type_int() }}) as customers,
        cast(fits.repeat_buyers as {{ dbt.type_int() }}) as repeat_buyers,
        ---------- how the purchase model was chosen
        cast(fits.selection_holdout_days as {{ dbt.type_int() }})
            as selection_holdout_days,
        cast(fits.selection_mae_bg_nbd as decimal(18, 6)) as selection_mae_bg_nbd,
        cast(fits.selection_mae_pareto_nbd as decimal(18, 6))
            as selection_mae_pareto_nbd,
        cast(fits.selection_mae_last_period as decimal(18, 6))
            as selection_mae_last_period,
        cast(fits.fit_seconds as decimal(18, 3)) as fit_seconds

    from fits
    inner join businesses
        on fits.business_id = businesses.business_id

)

select * from final
